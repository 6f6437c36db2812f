package openid4vp

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	"github.com/zkcred/zkcred/did/strictjson"
	"github.com/zkcred/zkcred/verifier/protocol"
)

// Versions of a vp_token value for the credential format zkcred_zkp
// (PROFILE.md, "vp_token value"). PresentationVersion (v2) carries the
// issuer's revocation-log checkpoint, cosigned by witnesses;
// PresentationVersionV1 carries a signed revocation root (a JWS), which
// has no witness: a verifier accepts it only when configured to.
const (
	PresentationVersion   = "zkcred-vp-zkp-v2"
	PresentationVersionV1 = "zkcred-vp-zkp-v1"
)

// maxSignedRoot bounds the carried signed revocation root; maxCheckpoint
// the carried checkpoint note (tlog.MaxCheckpointSize).
const (
	maxSignedRoot = 8 << 10
	maxCheckpoint = 8 << 10
)

// Presentation is one vp_token value of format zkcred_zkp: a JSON object,
// version 2,
//
//	{"version":"zkcred-vp-zkp-v2","claim_set":<index>,
//	 "submission":<protocol.Submission>,"checkpoint":"<signed note>"}
//
// or, version 1, {"version":"zkcred-vp-zkp-v1", "claim_set", "submission",
// "revocation_root":"<compact JWS>"}, where claim_set is the index of the
// policy the proof answers among those the credential query compiles to
// (dcql.CompiledCredential.Alternatives: one per claim set, in query
// order; 0 without claim_sets), submission is the zkcred submission (issuer
// key id and zkp presentation) whose proof binds the handover hash,
// checkpoint the issuer's revocation-log checkpoint with its witness
// cosignatures (package credential/status/tlog, FORMAT.md), whose
// extension line commits to the indexed-tree root the proof shows the
// credential unrevoked against, and revocation_root an issuer-signed root
// (status.SignRoot). The holder carries the root so that the verifier does
// not ask the issuer for it per presentation. Each version has exactly its
// own member.
type Presentation struct {
	Version        string          `json:"version"`
	ClaimSet       int             `json:"claim_set"`
	Submission     json.RawMessage `json:"submission"`
	Checkpoint     string          `json:"checkpoint,omitempty"`
	RevocationRoot string          `json:"revocation_root,omitempty"`
}

// ParsePresentation decodes a vp_token value strictly (did/strictjson:
// unknown, duplicate or case-variant members refused). The submission is
// left to protocol.ParseSubmission and the checkpoint or root to the
// verifier. Errors wrap [ErrInvalidResponse].
func ParsePresentation(b []byte) (*Presentation, error) {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: presentation: "+format, append([]any{ErrInvalidResponse}, a...)...)
	}
	if len(b) > protocol.MaxSubmissionSize+2*maxSignedRoot {
		return nil, bad("too large")
	}
	var p Presentation
	if err := strictjson.Unmarshal(b, &p); err != nil {
		return nil, bad("%v", err)
	}
	// The other version's member is absent, not merely empty: one
	// encoding per presentation.
	var present struct {
		Checkpoint     json.RawMessage `json:"checkpoint"`
		RevocationRoot json.RawMessage `json:"revocation_root"`
	}
	if err := strictjson.UnmarshalOpen(b, &present); err != nil {
		return nil, bad("%v", err)
	}
	switch {
	case p.Version == PresentationVersion && present.RevocationRoot != nil,
		p.Version == PresentationVersionV1 && present.Checkpoint != nil:
		return nil, bad("version %s carries a member of the other version", p.Version)
	case p.Version != PresentationVersion && p.Version != PresentationVersionV1:
		return nil, bad("unsupported version %.40q", p.Version)
	case p.ClaimSet < 0 || p.ClaimSet >= 64:
		return nil, bad("claim_set out of range")
	case len(p.Submission) == 0 || p.Submission[0] != '{':
		return nil, bad("submission must be an object")
	case p.Version == PresentationVersion && (p.Checkpoint == "" || len(p.Checkpoint) > maxCheckpoint || p.RevocationRoot != ""):
		return nil, bad("version 2 carries a checkpoint (at most %d bytes) and no revocation_root", maxCheckpoint)
	case p.Version == PresentationVersionV1 && (p.RevocationRoot == "" || len(p.RevocationRoot) > maxSignedRoot || p.Checkpoint != ""):
		return nil, bad("version 1 carries a revocation_root (at most %d bytes) and no checkpoint", maxSignedRoot)
	}
	return &p, nil
}

// ZKRequest returns the zkcred request a presentation answering ro with
// policy (one alternative of a credential query, dcql.Query.Compile with
// ro.Nonce) proves: version protocol.RequestVersion, id the nonce, nonce
// its base64url decoding (so the nonce must be the unpadded base64url of
// protocol.NonceSize bytes), audience the client_id, the policy, date the
// UTC calendar date of iat, issuedAt iat and expiresAt exp. Verifier and
// wallet derive it alike; its hash enters the handover (PROFILE.md).
// Errors wrap [ErrInvalidRequest].
func ZKRequest(ro *RequestObject, policy protocol.Policy) (*protocol.Request, error) {
	if ro == nil {
		return nil, fmt.Errorf("%w: no request object", ErrInvalidRequest)
	}
	nonce, err := b64.DecodeString(ro.Nonce)
	if err != nil || len(nonce) != protocol.NonceSize || base64.RawURLEncoding.EncodeToString(nonce) != ro.Nonce {
		return nil, fmt.Errorf("%w: nonce is not the base64url of %d bytes (zkcred profile)", ErrInvalidRequest, protocol.NonceSize)
	}
	r := &protocol.Request{
		Version: protocol.RequestVersion, ID: ro.Nonce, Nonce: nonce, Audience: ro.ClientID,
		Policy: policy, Date: time.Unix(ro.IssuedAt, 0).UTC().Format(time.DateOnly),
		IssuedAt: ro.IssuedAt, ExpiresAt: ro.ExpiresAt,
	}
	if _, err := r.CanonicalBytes(); err != nil {
		return nil, fmt.Errorf("%w: zkcred request: %w", ErrInvalidRequest, err)
	}
	return r, nil
}
