package protocol

import (
	"encoding/json"
	"fmt"

	"github.com/zkcred/zkcred/did"
	"github.com/zkcred/zkcred/did/strictjson"
	"github.com/zkcred/zkcred/zkp"
)

// SubmissionVersion names the presentation submission format.
const SubmissionVersion = "zkcred-submission-v1"

// MaxSubmissionSize is the largest submission [ParseSubmission] reads.
const MaxSubmissionSize = 64 << 10

// Submission is what a holder posts to answer a request: which issuer key
// signed its credential, and the zkp presentation. Format, version
// SubmissionVersion, decoded strictly with json v2 semantics (unknown,
// duplicate or case-variant members, invalid UTF-8, lone surrogates and
// trailing data are refused):
//
//	{"version": "zkcred-submission-v1",
//	 "issuer": "<DID URL of the issuer's ZK key, in its assertionMethod>",
//	 "presentation": <zkp presentation JSON, canonical form (zkp FORMAT.md)>}
type Submission struct {
	Version      string          `json:"version"`
	Issuer       string          `json:"issuer"`
	Presentation json.RawMessage `json:"presentation"`
}

// NewSubmission encodes a presentation for issuerKeyID as submission JSON.
func NewSubmission(issuerKeyID string, p *zkp.Presentation) ([]byte, error) {
	enc, err := p.Encode()
	if err != nil {
		return nil, err
	}
	return json.Marshal(&Submission{Version: SubmissionVersion, Issuer: issuerKeyID, Presentation: enc})
}

// ParseSubmission decodes a submission made for the verifying key vk,
// strictly: the envelope (see [Submission]), the issuer key id's DID URL
// syntax, then the presentation with zkp.DecodePresentationFor: its
// envelope, whose backend and key fingerprint must be vk's, and only then
// the proof. A presentation for another backend or key is refused before any
// byte of its proof is decoded, so a proof crafted against the other
// backend's decoder never reaches it. Errors wrap
// [ErrMalformedPresentation] (and zkp.ErrKeyMismatch for another key or
// backend).
func ParseSubmission(b []byte, vk *zkp.VerifyingKey) (*Submission, *zkp.Presentation, error) {
	if vk == nil {
		return nil, nil, fmt.Errorf("%w: no verifying key", ErrMalformedPresentation)
	}
	if len(b) > MaxSubmissionSize {
		return nil, nil, fmt.Errorf("%w: larger than %d bytes", ErrMalformedPresentation, MaxSubmissionSize)
	}
	var sub Submission
	if err := strictjson.Unmarshal(b, &sub); err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrMalformedPresentation, err)
	}
	if sub.Version != SubmissionVersion {
		return nil, nil, fmt.Errorf("%w: unsupported submission version %.40q", ErrMalformedPresentation, sub.Version)
	}
	if _, err := did.ParseURL(sub.Issuer); err != nil {
		return nil, nil, fmt.Errorf("%w: issuer key id: %w", ErrMalformedPresentation, err)
	}
	// DecodePresentationFor refuses another backend or key fingerprint
	// before it decodes the proof.
	pres, err := zkp.DecodePresentationFor(vk, sub.Presentation)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrMalformedPresentation, err)
	}
	if pres.Backend != vk.Backend() || pres.Key != vk.Fingerprint() {
		// zkp's contract; checked again where it matters.
		return nil, nil, fmt.Errorf("%w: %w", ErrMalformedPresentation, zkp.ErrKeyMismatch)
	}
	return &sub, pres, nil
}
