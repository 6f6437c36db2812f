package openid4vp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/zkcred/zkcred/credential/status"
	"github.com/zkcred/zkcred/credential/status/tlog"
	"github.com/zkcred/zkcred/did"
	"github.com/zkcred/zkcred/did/fetch"
	"github.com/zkcred/zkcred/did/strictjson"
	"github.com/zkcred/zkcred/verifier/protocol"
	"github.com/zkcred/zkcred/verifier/protocol/dcql"
	"github.com/zkcred/zkcred/zkp"
)

// Errors of the wallet flow ([Answer]).
var (
	// ErrNoCredential is returned when no held credential (unrevoked,
	// unexpired, of a trusted issuer, satisfying the predicates, with a
	// fresh signed root) answers a required credential set. Nothing was
	// proven or sent. Code access_denied.
	ErrNoCredential = errors.New("openid4vp: no held credential satisfies the query")
	// ErrConsentDenied wraps the error of AnswerConfig.Consent: the holder
	// refused. Nothing was proven or sent (not even an error response:
	// see PROFILE.md).
	ErrConsentDenied = errors.New("openid4vp: the holder did not consent")
	// ErrRefused is returned when the verifier rejected the response (a
	// 4xx answer); the [VerifierAnswer] says why.
	ErrRefused = errors.New("openid4vp: the verifier refused the response")
	// ErrVerifierUnavailable is returned when the verifier could not check
	// the response now (503, temporarily_unavailable) or did not answer:
	// the same response may be posted again later.
	ErrVerifierUnavailable = errors.New("openid4vp: the verifier could not check the response now")
)

// Held is one credential a wallet holds, with what it needs to prove with
// it: the holding (credential, holder secret, issuer ZK key, revocation
// tree or non-revocation witness) and what the presentation carries to the
// verifier as the revocation root: Checkpoint, the issuer's revocation-log
// checkpoint with its witness cosignatures (package credential/status/tlog)
// that the wallet verified and checked for consistency when it synced,
// whose indexed root is the holding's (vp_token value version 2); or,
// when Checkpoint is empty, SignedRoot, the issuer's signed root
// (status.SignRoot, version 1, which verifiers take only if configured to).
type Held struct {
	protocol.Holding
	Checkpoint []byte
	SignedRoot string
}

// AnswerConfig configures [Answer]. Fetch, Resolver, Keys and Consent are
// required.
type AnswerConfig struct {
	// Fetch fetches the Request Object and posts the response.
	Fetch *fetch.Client
	// Resolver resolves the verifier's DID (its signing key) and issuers'
	// DIDs (their signed roots).
	Resolver did.Resolver
	// Keys are the proving keys of the circuit the verifier uses.
	Keys *zkp.Keys
	// Credentials are tried in order for each credential query.
	Credentials []Held
	// Consent is shown what will be proven, disclosed and signed, and to
	// whom, before any proving work; a non-nil error stops the flow
	// ([ErrConsentDenied]).
	Consent func(context.Context, *Description) error
	// Verify configures request verification (nil: the production policy).
	Verify *VerifyOptions
}

// Description says in plain words what a response will prove.
type Description struct {
	// Verifier is the verifier's identifier (its DID, for
	// decentralized_identifier:) and ResponseURI where the answer goes.
	Verifier    string
	ResponseURI string
	// Presentations are the proofs the wallet will make.
	Presentations []PresentationDescription
	// TransactionData are the items every proof commits to.
	TransactionData []*TransactionData
	// SameHolder: the proofs also show they are of one holder (linked by a
	// value that changes with every request).
	SameHolder bool
}

// PresentationDescription describes one proof.
type PresentationDescription struct {
	CredentialQueryID string
	Issuer            string
	Schema            string
	// Proven are the predicates in plain words, e.g. "you are at least 18
	// years old (by your birthDate)"; the values stay hidden.
	Proven []string
	// Disclosed are the attributes whose values are revealed.
	Disclosed []string
	// OncePerPerson names the scope in which the verifier will recognize
	// a second presentation by the same holder ("" if none).
	OncePerPerson string
}

// String renders d as plain text for a consent screen.
func (d *Description) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s asks you to prove the following, without showing the values it is proven from:\n", d.Verifier)
	for _, p := range d.Presentations {
		fmt.Fprintf(&b, "- from your %s credential issued by %s:\n", p.Schema, p.Issuer)
		for _, s := range p.Proven {
			fmt.Fprintf(&b, "  that %s\n", s)
		}
		for _, s := range p.Disclosed {
			fmt.Fprintf(&b, "  and shows them your %s\n", s)
		}
		if p.OncePerPerson != "" {
			fmt.Fprintf(&b, "  and lets them see if you answer twice in %q (one answer per person; not linkable elsewhere)\n", p.OncePerPerson)
		}
	}
	if d.SameHolder {
		b.WriteString("- that these credentials are yours alone (not linkable to other requests)\n")
	}
	for _, td := range d.TransactionData {
		switch td.Type {
		case TypeBallot:
			fmt.Fprintf(&b, "You vote %q in ballot %q.\n", td.Choice, td.BallotID)
		case TypeConsent:
			fmt.Fprintf(&b, "You agree to: %s\n", td.Text)
		}
	}
	fmt.Fprintf(&b, "The answer goes to %s.\n", d.ResponseURI)
	return b.String()
}

// VerifierAnswer is the verifier's answer to the posted response.
type VerifierAnswer struct {
	StatusCode int
	// Body is the answer's JSON body.
	Body json.RawMessage
	// Error and Description are the OpenID4VP error, if any.
	Error       string
	Description string
}

// choice is a credential chosen for one credential query.
type choice struct {
	queryID  string
	claimSet int
	held     *Held
	req      *protocol.Request
	hash     fr.Element
}

// Answer runs the wallet side of an OpenID4VP presentation for the
// Authorization Request URI uri (openid4vp://…, from a link or a QR
// code): it parses the URI, fetches the Request Object through cfg.Fetch
// and verifies it ([VerifyRequestObject]; an unsigned request only with
// cfg.Verify.InsecureAllowUnsigned), evaluates the DCQL query against
// cfg.Credentials (for each required credential set, the first option all
// of whose credential queries a held credential answers: trusted issuer,
// schema, unrevoked against a fresh signed root, unexpired, predicates
// satisfied, checked natively with protocol.Holding.CheckBound, the next
// credential tried otherwise; linked queries from credentials of one holder
// secret), asks cfg.Consent with a [Description], then proves each
// presentation with the handover hash as request hash and posts the
// response (direct_post, or direct_post.jwt encrypted to the verifier's
// key) to the response_uri. It returns the verifier's answer; errors wrap
// this package's sentinels ([ErrNoCredential], [ErrConsentDenied],
// [ErrRefused], [ErrVerifierUnavailable], or those of the request checks).
func Answer(ctx context.Context, cfg AnswerConfig, uri string) (*VerifierAnswer, error) {
	if cfg.Fetch == nil || cfg.Resolver == nil || cfg.Keys == nil || cfg.Keys.VerifyingKey == nil || cfg.Consent == nil {
		return nil, fmt.Errorf("%w: AnswerConfig needs Fetch, Resolver, Keys and Consent", ErrInvalidRequest)
	}
	opts := cfg.Verify
	if opts == nil {
		opts = &VerifyOptions{}
	}
	ar, err := ParseAuthorizationRequest(uri, opts.InsecureAllowHTTP)
	if err != nil {
		return nil, err
	}
	var ro *RequestObject
	switch {
	case ar.RequestURI != "":
		token, err := FetchRequestObject(ctx, cfg.Fetch, ar)
		if err != nil {
			return nil, err
		}
		if ro, err = VerifyRequestObject(ctx, ar, token, cfg.Resolver, opts); err != nil {
			return nil, err
		}
	case ar.Request != "":
		if ro, err = VerifyRequestObject(ctx, ar, ar.Request, cfg.Resolver, opts); err != nil {
			return nil, err
		}
	default:
		if ro, err = VerifyUnsignedRequest(ar, opts); err != nil {
			return nil, err
		}
	}
	compiled, err := ro.DCQLQuery.Compile(ro.Nonce)
	if err != nil {
		return nil, fmt.Errorf("%w: dcql_query: %w", ErrInvalidRequest, err)
	}
	choices, err := choose(ctx, cfg, ro, compiled, opts.now())
	if err != nil {
		return nil, err
	}
	desc := describe(ro, compiled, choices)
	if err := cfg.Consent(ctx, desc); err != nil {
		// Nothing is sent, not even OpenID4VP's error response
		// access_denied: consent is asked only when a held credential
		// meets the request, so a decline would tell the verifier what
		// the holder refused to prove (that they are over 18, say).
		return nil, fmt.Errorf("%w: %w", ErrConsentDenied, err)
	}
	resp := &Response{VPToken: map[string][]json.RawMessage{}, State: ro.State}
	for _, c := range choices {
		sub, err := c.held.AnswerBound(cfg.Keys, c.req, ro.ClientID, c.hash)
		if err != nil {
			return nil, err
		}
		p := &Presentation{Version: PresentationVersion, ClaimSet: c.claimSet, Submission: sub, Checkpoint: string(c.held.Checkpoint)}
		if len(c.held.Checkpoint) == 0 {
			p.Version, p.Checkpoint, p.RevocationRoot = PresentationVersionV1, "", c.held.SignedRoot
		}
		v, err := json.Marshal(p)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrInvalidResponse, err)
		}
		resp.VPToken[c.queryID] = append(resp.VPToken[c.queryID], v)
	}
	form := url.Values{}
	if ro.ResponseMode == ResponseModeDirectPostJWT {
		jwe, err := EncryptResponse(resp, ro.ClientMetadata)
		if err != nil {
			return nil, err
		}
		form.Set("response", jwe)
	} else {
		if err := resp.check(); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrInvalidResponse, err)
		}
		vp, err := json.Marshal(resp.VPToken)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrInvalidResponse, err)
		}
		form.Set("vp_token", string(vp))
		if ro.State != "" {
			form.Set("state", ro.State)
		}
	}
	rsp, err := cfg.Fetch.Post(ctx, ro.ResponseURI, "application/x-www-form-urlencoded", []byte(form.Encode()), "application/json")
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrVerifierUnavailable, err)
	}
	ans := &VerifierAnswer{StatusCode: rsp.StatusCode, Body: rsp.Body}
	if rsp.StatusCode == 200 {
		return ans, nil
	}
	var e struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if strictjson.UnmarshalOpen(rsp.Body, &e) == nil {
		ans.Error, ans.Description = e.Error, e.Description
	}
	if rsp.StatusCode == 503 || rsp.StatusCode >= 500 && ans.Error == "temporarily_unavailable" {
		return ans, fmt.Errorf("%w: %s: %.200s", ErrVerifierUnavailable, rsp.Status, ans.Description)
	}
	return ans, fmt.Errorf("%w: %s: %s: %.300s", ErrRefused, rsp.Status, ans.Error, ans.Description)
}

// choose picks, for every required credential set, the first option all
// of whose queries a held credential answers.
func choose(ctx context.Context, cfg AnswerConfig, ro *RequestObject, compiled *dcql.Compiled, now time.Time) ([]choice, error) {
	var out []choice
	var secret *fr.Element // linked queries: one holder secret
	shape := cfg.Keys.VerifyingKey.Shape()
	for si, set := range compiled.Sets {
		if !set.Required {
			continue
		}
		var picked []choice
		for _, option := range set.Options {
			picked = nil
			local := secret
			for _, id := range option {
				c, found := chooseOne(ctx, cfg, ro, compiled, id, shape, local, now)
				if !found {
					picked = nil
					break
				}
				picked = append(picked, c)
				if compiled.Linked != "" && local == nil {
					local = ptr(c.held.Secret.Element())
				}
			}
			if picked != nil {
				secret = local
				break
			}
		}
		if picked == nil {
			return nil, fmt.Errorf("%w: credential set %d", ErrNoCredential, si)
		}
		out = append(out, picked...)
	}
	return out, nil
}

func chooseOne(ctx context.Context, cfg AnswerConfig, ro *RequestObject, compiled *dcql.Compiled, id string, shape zkp.Shape, secret *fr.Element, now time.Time) (choice, bool) {
	var cc *dcql.CompiledCredential
	for i := range compiled.Credentials {
		if compiled.Credentials[i].ID == id {
			cc = &compiled.Credentials[i]
		}
	}
	if cc == nil {
		return choice{}, false
	}
	for k, policy := range cc.Alternatives {
		req, err := ZKRequest(ro, policy)
		if err != nil {
			return choice{}, false
		}
		h, err := HandoverHash(NewHandover(ro, id, req))
		if err != nil {
			return choice{}, false
		}
		for i := range cfg.Credentials {
			held := &cfg.Credentials[i]
			if held.Secret == nil || held.Credential == nil || (held.Revocation == nil && held.NonRevoked == nil) {
				continue
			}
			if secret != nil {
				if s := held.Secret.Element(); !s.Equal(secret) {
					continue
				}
			}
			// The verifier checks the carried root: skip a credential whose
			// root is stale or is not the tree the proof would use.
			if !carriedRootFits(ctx, cfg, held, time.Duration(policy.MaxRootAge)*time.Second, now) {
				continue
			}
			if err := held.CheckBound(shape, req, ro.ClientID, h); err != nil {
				continue // revoked, expired, untrusted issuer, predicate unsatisfied...
			}
			return choice{queryID: id, claimSet: k, held: held, req: req, hash: h}, true
		}
	}
	return choice{}, false
}

func ptr[T any](v T) *T { return &v }

// carriedRootFits reports whether the root held carries is no older than
// maxAge (0: status.DefaultMaxRootAge) at now and is the root its proof
// would use. A checkpoint was verified (signature, witnesses, consistency)
// when the wallet synced; here its time and indexed root are checked.
func carriedRootFits(ctx context.Context, cfg AnswerConfig, held *Held, maxAge time.Duration, now time.Time) bool {
	if maxAge <= 0 {
		maxAge = status.DefaultMaxRootAge
	}
	root := held.RevocationRoot()
	if len(held.Checkpoint) > 0 {
		cp, err := tlog.ParseCheckpoint(held.Checkpoint)
		return err == nil && cp.Kind == tlog.KindRevocation && cp.Indexed.Root.Equal(&root) &&
			now.Sub(cp.Time) <= maxAge && !cp.Time.After(now.Add(time.Minute))
	}
	claims, err := status.VerifySignedRoot(ctx, cfg.Resolver, held.SignedRoot, status.VerifyRootOptions{
		Issuer: held.Credential.Issuer, MaxAge: maxAge, Now: func() time.Time { return now },
	})
	return err == nil && claims.Root.Equal(&root)
}

func describe(ro *RequestObject, compiled *dcql.Compiled, choices []choice) *Description {
	_, who, _ := Prefix(ro.ClientID)
	d := &Description{Verifier: who, ResponseURI: ro.ResponseURI, SameHolder: compiled.Linked != "" && len(choices) > 1}
	for _, s := range ro.TransactionData {
		if td, err := ParseTransactionData(s); err == nil {
			d.TransactionData = append(d.TransactionData, td)
		}
	}
	for _, c := range choices {
		p := PresentationDescription{CredentialQueryID: c.queryID, Issuer: c.held.Credential.Issuer,
			Schema: fmt.Sprintf("%s v%d", c.req.Schema.Name, c.req.Schema.Version), Disclosed: c.req.Disclose}
		for _, pr := range c.req.Predicates {
			p.Proven = append(p.Proven, describePredicate(pr))
		}
		if c.req.Scope != "" && !dcql.IsHolderScope(c.req.Scope) {
			p.OncePerPerson = c.req.Scope
		}
		d.Presentations = append(d.Presentations, p)
	}
	return d
}

// describePredicate says what a predicate proves in plain words, for a
// consent screen: "your district is one of 07, 08", "you are at least 18
// years old (by your birthDate)".
func describePredicate(p protocol.Predicate) string {
	list := func(vs []protocol.Value) string {
		out := make([]string, len(vs))
		for i, v := range vs {
			out[i] = v.String()
		}
		return strings.Join(out, ", ")
	}
	var val, years string
	if p.Value != nil {
		val = p.Value.String()
	}
	if p.Years != nil {
		years = fmt.Sprint(*p.Years)
	}
	switch p.Op {
	case protocol.OpAgeAtLeast:
		return fmt.Sprintf("you are at least %s years old (by your %s)", years, p.Attribute)
	case protocol.OpAgeUnder:
		return fmt.Sprintf("you are under %s years old (by your %s)", years, p.Attribute)
	case protocol.OpEq:
		return fmt.Sprintf("your %s is %s", p.Attribute, val)
	case protocol.OpNe:
		return fmt.Sprintf("your %s is not %s", p.Attribute, val)
	case protocol.OpLt:
		return fmt.Sprintf("your %s is less than %s", p.Attribute, val)
	case protocol.OpLe:
		return fmt.Sprintf("your %s is at most %s", p.Attribute, val)
	case protocol.OpGt:
		return fmt.Sprintf("your %s is more than %s", p.Attribute, val)
	case protocol.OpGe:
		return fmt.Sprintf("your %s is at least %s", p.Attribute, val)
	case protocol.OpBetween:
		var lo, hi string
		if p.Min != nil && p.Max != nil {
			lo, hi = p.Min.String(), p.Max.String()
		}
		return fmt.Sprintf("your %s is between %s and %s", p.Attribute, lo, hi)
	case protocol.OpIn:
		return fmt.Sprintf("your %s is one of %s", p.Attribute, list(p.Values))
	case protocol.OpNotIn:
		return fmt.Sprintf("your %s is none of %s", p.Attribute, list(p.Values))
	}
	return fmt.Sprintf("your %s: %s", p.Attribute, p.Op)
}
