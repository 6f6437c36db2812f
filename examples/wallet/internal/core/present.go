package core

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/zkcred/zkcred/credential/openid4vci"
	"github.com/zkcred/zkcred/credential/status"
	"github.com/zkcred/zkcred/credential/status/tlog"
	"github.com/zkcred/zkcred/did"
	"github.com/zkcred/zkcred/did/fetch"
	"github.com/zkcred/zkcred/did/strictjson"
	"github.com/zkcred/zkcred/verifier/protocol"
	"github.com/zkcred/zkcred/verifier/protocol/openid4vp"
	"github.com/zkcred/zkcred/zkp"
)

// Consent is the consent screen: who asks, what is proven, disclosed,
// signed and kept hidden, in plain words.
type Consent struct {
	Verifier    string   `json:"verifier"`    // who asks (host of its DID)
	VerifierDID string   `json:"verifierDid"` // its identifier
	ResponseTo  string   `json:"responseTo"`  // where the answer goes
	Credential  string   `json:"credential"`  // which credential is used
	Proven      []string `json:"proven"`      // "you are at least 18 years old (by your birthDate)"
	Disclosed   []string `json:"disclosed"`   // attribute names shown with their values
	Signed      []string `json:"signed"`      // "You vote "yes" in ballot "b1"."
	Hidden      []string `json:"hidden"`      // attribute names that stay hidden
	OncePer     []string `json:"oncePer"`     // scopes where a second answer is recognised
	Text        string   `json:"text"`        // openid4vp's own rendering
}

// Outcome is the result of answering a request, in plain words.
type Outcome struct {
	// Status is "accepted", "declined" (nothing sent), "unmet" (nothing
	// sent), "refused" (the verifier refused the proof) or "error".
	Status  string `json:"status"`
	Title   string `json:"title"`
	Message string `json:"message"`
	// Sent reports whether anything was sent to the verifier.
	Sent bool `json:"sent"`
	// ProveMillis is how long proving took (0 if nothing was proven).
	ProveMillis int64 `json:"proveMillis"`
	// DropKeys: the keys made a proof their own verifying key refuses
	// (zkp.ErrInvalidKey from Prove): the page deletes its key cache and
	// fetches the pinned bundle again (zkp/FORMAT.md, "Key cache").
	DropKeys bool `json:"dropKeys,omitempty"`
	// Shown are the values the verifier saw (disclosed attributes).
	Shown map[string]string `json:"shown,omitempty"`
}

// Present answers an OpenID4VP request (openid4vp:// link or QR text):
// it fetches and verifies the signed request, picks a credential that
// meets it, calls consent with the plain-words [Consent] and proves only
// if consent returns nil, then sends the answer (vp_token value v2,
// carrying the issuer's witnessed checkpoint). Nothing is fetched from
// the agency: the issuers' documents, checkpoints and non-revocation
// witnesses are those of the last [Wallet.Sync]. Every outcome, failures
// included, is an [Outcome] in plain words.
func (w *Wallet) Present(ctx context.Context, uri string, consent func(context.Context, *Consent) error) *Outcome {
	w.mu.Lock()
	keys := w.keys.WithSplit(w.split)
	w.mu.Unlock()
	if keys == nil {
		return plain(errNoKeys)
	}
	held, res, err := w.held(ctx)
	if err != nil {
		return plain(err)
	}
	// The request object is fetched once: the answer and, when no
	// credential meets it, the explanation read the same copy. Fetching
	// it again only when unmet would tell the verifier, without consent,
	// that the citizen does not meet its request.
	if uri, err = w.requestByValue(ctx, uri); err != nil {
		return plain(err)
	}
	var start time.Time
	var consented bool
	var disclosed []string // the attributes the citizen agreed to show
	ans, err := openid4vp.Answer(ctx, openid4vp.AnswerConfig{
		Fetch: w.fetch, Resolver: res, Keys: keys, Credentials: held,
		Consent: func(ctx context.Context, d *openid4vp.Description) error {
			c := w.describe(d)
			if err := consent(ctx, c); err != nil {
				return err
			}
			consented, start, disclosed = true, time.Now(), c.Disclosed
			return nil
		},
		Verify: &openid4vp.VerifyOptions{InsecureAllowHTTP: w.cfg.InsecureLocal},
	}, strings.TrimSpace(uri))
	var ms int64
	if consented {
		ms = time.Since(start).Milliseconds()
	}
	if err == nil {
		o := &Outcome{Status: "accepted", Title: "Accepted", Sent: true, ProveMillis: ms,
			Message: "The verifier checked your proof and accepted it.", Shown: shownIn(ans.Body, disclosed)}
		return o
	}
	if errors.Is(err, openid4vp.ErrNoCredential) {
		return w.unmet(ctx, uri, res)
	}
	o := plain(err)
	if ans != nil && errors.Is(err, openid4vp.ErrRefused) {
		o = refused(ans)
	}
	if errors.Is(err, zkp.ErrInvalidKey) {
		w.mu.Lock()
		w.keys = nil
		w.mu.Unlock()
		o.DropKeys = true
		o.Title, o.Message = "Not sent", "The wallet's proving keys are damaged. It is downloading them again: retry in a moment. Nothing was sent."
	}
	o.ProveMillis = ms
	return o
}

// shownIn returns the disclosed values the verifier's answer body (a
// verifier.ResponseResult: presentations, per query, each with its
// disclosed attributes) reports, for the attributes the citizen agreed to
// show only: the body is the verifier's, and a line such as "They saw
// your X" must not be the verifier's to write for attributes never
// disclosed.
func shownIn(body []byte, consented []string) map[string]string {
	var rr struct {
		Presentations map[string][]struct {
			Disclosed map[string]any `json:"disclosed"`
		} `json:"presentations"`
	}
	if len(consented) == 0 || strictjson.UnmarshalOpen(body, &rr) != nil {
		return nil
	}
	var shown map[string]string
	for _, ps := range rr.Presentations {
		for _, p := range ps {
			for k, v := range p.Disclosed {
				if !slices.Contains(consented, k) {
					continue
				}
				if shown == nil {
					shown = map[string]string{}
				}
				shown[k] = fmt.Sprint(v)
			}
		}
	}
	return shown
}

// refused says why the verifier refused the answer, by its zkcred_code.
func refused(ans *openid4vp.VerifierAnswer) *Outcome {
	var e struct {
		Code string `json:"zkcred_code"`
	}
	strictjson.UnmarshalOpen(ans.Body, &e)
	o := &Outcome{Status: "refused", Title: "Not accepted", Sent: true}
	switch e.Code {
	case "duplicate_nullifier":
		o.Message = "You have already answered this once (for example, you already voted in this ballot). A second answer is not counted."
	case "replay":
		o.Message = "This request was already answered. Ask the verifier for a new one."
	case "expired_request", "unknown_request":
		o.Message = "The request expired, ask for a new one."
	case "stale_root":
		o.Message = "The verifier needs more recent revocation data than the wallet has. Open the wallet again later (it refreshes by itself) and retry."
	case "untrusted_issuer":
		o.Message = "The verifier does not accept credentials from this agency."
	case "unavailable":
		o.Status, o.Message = "error", "The verifier could not check your answer right now. Try again in a moment."
	default:
		o.Message = "The verifier did not accept the proof."
	}
	return o
}

// unmet says why no credential meets the request: revoked, expired, or
// what the request asks that the credential does not satisfy. It fetches
// the request again (from the verifier, never from the agency).
func (w *Wallet) unmet(ctx context.Context, uri string, res did.Resolver) *Outcome {
	o := &Outcome{Status: "unmet", Title: "You do not meet this request", Sent: false}
	var asks []string
	var schemaName string
	maxAge := status.DefaultMaxRootAge
	if ro, err := w.requestObject(ctx, uri, res); err == nil {
		if c, err := ro.DCQLQuery.Compile(ro.Nonce); err == nil {
			for _, cc := range c.Credentials {
				for _, p := range cc.Alternatives {
					schemaName = p.Schema.Name
					if p.MaxRootAge > 0 {
						maxAge = time.Duration(p.MaxRootAge) * time.Second
					}
					for _, pr := range p.Predicates {
						asks = append(asks, asksFor(pr))
					}
					break
				}
			}
		}
	}
	now := w.cfg.Now()
	w.mu.Lock()
	entries := slices.Clone(w.entries)
	issuers := w.issuers
	w.mu.Unlock()
	var revoked, expired, unsynced, split, stale bool
	var usable int
	for _, e := range entries {
		if schemaName != "" && e.Stored.Schema != nil && e.Stored.Schema.Name != schemaName {
			continue
		}
		switch d := issuers[e.IssuerURL]; {
		case d == nil:
			unsynced = true
		case d.SplitView != "":
			split = true
		case isRevoked(d, e.ID):
			revoked = true
		case now.After(time.Unix(int64(e.Stored.Expiry), 0)):
			expired = true
		case !hasWitness(d, e.ID):
			unsynced = true
		case checkpointAge(d, now) > maxAge:
			stale = true
		default:
			usable++
		}
	}
	switch {
	case usable == 0 && split:
		o.Title, o.Message = "Do not use this credential", SplitViewMessage+" Nothing was sent."
	case usable == 0 && stale:
		o.Title, o.Message = "Revocation data too old", "The wallet's record of revoked credentials is too old for this request. Stay online a moment so the wallet refreshes it, then retry. Nothing was sent."
	case usable == 0 && revoked:
		o.Title, o.Message = "Credential revoked", "This credential was revoked by the agency. Nothing was sent."
	case usable == 0 && expired:
		o.Title, o.Message = "Credential expired", "Your credential has expired. Ask the agency for a new one. Nothing was sent."
	case usable == 0 && unsynced:
		o.Message = "The wallet has not yet checked your credential with the agency. Stay online a moment and retry. Nothing was sent."
	case usable == 0:
		o.Message = "You have no credential of the kind this request asks for. Nothing was sent."
	case len(asks) > 0:
		o.Message = "You do not meet this request: it asks for " + strings.Join(asks, " and ") + ". Nothing was sent."
	default:
		o.Message = "Your credential does not meet this request. Nothing was sent."
	}
	return o
}

// checkpointAge is how old the issuer's synced checkpoint is at now.
func checkpointAge(d *IssuerData, now time.Time) time.Duration {
	cp, err := tlog.ParseCheckpoint([]byte(d.Checkpoint))
	if err != nil {
		return 1<<63 - 1
	}
	return now.Sub(cp.Time)
}

func hasWitness(d *IssuerData, id string) bool {
	_, ok := d.witness(id)
	return ok
}

func isRevoked(d *IssuerData, id string) bool {
	return slices.Contains(d.Revoked, id)
}

// requestByValue returns uri with its request object fetched: an
// openid4vp://?client_id=...&request=<the signed object> link (uri itself
// when it carries no request_uri). The object is verified later, by
// openid4vp.Answer, as it would have been by reference.
func (w *Wallet) requestByValue(ctx context.Context, uri string) (string, error) {
	uri = strings.TrimSpace(uri)
	ar, err := openid4vp.ParseAuthorizationRequest(uri, w.cfg.InsecureLocal)
	if err != nil || ar.RequestURI == "" {
		return uri, nil // Answer reports a bad link in its own words
	}
	tok, err := openid4vp.FetchRequestObject(ctx, w.fetch, ar)
	if err != nil {
		return "", err
	}
	return openid4vp.Scheme + "://?" + url.Values{"client_id": {ar.ClientID}, "request": {tok}}.Encode(), nil
}

// requestObject verifies the request object of a by-value link (see
// requestByValue); it fetches nothing.
func (w *Wallet) requestObject(ctx context.Context, uri string, res did.Resolver) (*openid4vp.RequestObject, error) {
	opts := &openid4vp.VerifyOptions{InsecureAllowHTTP: w.cfg.InsecureLocal}
	ar, err := openid4vp.ParseAuthorizationRequest(strings.TrimSpace(uri), opts.InsecureAllowHTTP)
	if err != nil {
		return nil, err
	}
	if ar.Request == "" {
		return nil, errors.New("wallet: the request object was not fetched")
	}
	return openid4vp.VerifyRequestObject(ctx, ar, ar.Request, res, opts)
}

// asksFor says what a predicate asks, short: "age 18 or over",
// "district one of 07, 08".
func asksFor(p protocol.Predicate) string {
	val := func(v *protocol.Value) string {
		if v == nil {
			return ""
		}
		return v.String()
	}
	years := ""
	if p.Years != nil {
		years = fmt.Sprint(*p.Years)
	}
	vals := make([]string, len(p.Values))
	for i, v := range p.Values {
		vals[i] = v.String()
	}
	switch p.Op {
	case protocol.OpAgeAtLeast:
		return "age " + years + " or over"
	case protocol.OpAgeUnder:
		return "age under " + years
	case protocol.OpEq:
		return p.Attribute + " " + val(p.Value)
	case protocol.OpNe:
		return p.Attribute + " other than " + val(p.Value)
	case protocol.OpLt:
		return p.Attribute + " below " + val(p.Value)
	case protocol.OpLe:
		return p.Attribute + " at most " + val(p.Value)
	case protocol.OpGt:
		return p.Attribute + " above " + val(p.Value)
	case protocol.OpGe:
		return p.Attribute + " at least " + val(p.Value)
	case protocol.OpBetween:
		return p.Attribute + " between " + val(p.Min) + " and " + val(p.Max)
	case protocol.OpIn:
		return p.Attribute + " one of " + strings.Join(vals, ", ")
	case protocol.OpNotIn:
		return p.Attribute + " none of " + strings.Join(vals, ", ")
	}
	return p.Attribute
}

// describe turns openid4vp's description into the consent screen.
func (w *Wallet) describe(d *openid4vp.Description) *Consent {
	c := &Consent{Verifier: issuerName(d.Verifier), VerifierDID: d.Verifier, ResponseTo: d.ResponseURI, Text: d.String()}
	// Every attribute any presentation discloses is shown, never listed
	// as hidden (a second presentation of the same credential may
	// disclose what the first keeps hidden); every credential used is
	// named.
	shown := map[string]bool{}
	for _, p := range d.Presentations {
		for _, a := range p.Disclosed {
			shown[a] = true
		}
	}
	var creds []string
	for _, p := range d.Presentations {
		cred := fmt.Sprintf("your %s credential from %s", p.Schema, issuerName(p.Issuer))
		c.Proven = append(c.Proven, p.Proven...)
		c.Disclosed = append(c.Disclosed, p.Disclosed...)
		if p.OncePerPerson != "" {
			c.OncePer = append(c.OncePer, p.OncePerPerson)
		}
		w.mu.Lock()
		for _, e := range w.entries {
			if e.Stored.Issuer != p.Issuer || e.Stored.Schema == nil || !strings.HasPrefix(p.Schema, e.Stored.Schema.Name+" ") {
				continue
			}
			cred = fmt.Sprintf("your %s from %s", strings.ToLower(typeName(e.Stored.Schema)[:1])+typeName(e.Stored.Schema)[1:], issuerName(p.Issuer))
			for _, a := range e.Stored.Schema.Attributes {
				if !shown[a.Name] && !slices.Contains(c.Hidden, a.Name) {
					c.Hidden = append(c.Hidden, a.Name)
				}
			}
			break
		}
		w.mu.Unlock()
		if !slices.Contains(creds, cred) {
			creds = append(creds, cred)
		}
	}
	c.Credential = strings.Join(creds, " and ")
	if d.SameHolder {
		c.Proven = append(c.Proven, "these credentials are all yours")
	}
	for _, td := range d.TransactionData {
		switch td.Type {
		case openid4vp.TypeBallot:
			c.Signed = append(c.Signed, fmt.Sprintf("You vote %q in ballot %q.", td.Choice, td.BallotID))
		case openid4vp.TypeConsent:
			c.Signed = append(c.Signed, "You agree to: "+td.Text)
		}
	}
	return c
}

// plain maps an error to an outcome in plain words: never a chain of Go
// error prefixes.
func plain(err error) *Outcome {
	o := &Outcome{Status: "error", Title: "Something went wrong"}
	switch {
	case errors.Is(err, openid4vp.ErrConsentDenied):
		o.Status, o.Title, o.Message = "declined", "Not sent", "You declined. Nothing was proven or sent."
	case errors.Is(err, openid4vp.ErrExpired):
		o.Title, o.Message = "Request expired", "The request expired, ask for a new one."
	case errors.Is(err, openid4vp.ErrFetch) && (errors.Is(err, fetch.ErrFetch) || errors.Is(err, fetch.ErrForbiddenAddress) ||
		errors.Is(err, fetch.ErrInvalidURL) || errors.Is(err, fetch.ErrRedirect)):
		o.Title, o.Message = "Verifier unreachable", "The wallet could not reach the verifier to read the request. Check the connection and retry."
	case errors.Is(err, openid4vp.ErrFetch):
		// The verifier answered, but not with the request: it expired,
		// was answered already, or never existed.
		o.Title, o.Message = "Request expired", "The request expired, ask for a new one."
	case errors.Is(err, openid4vp.ErrInvalidRequest), errors.Is(err, openid4vp.ErrInvalidRequestObject),
		errors.Is(err, openid4vp.ErrUnsignedRequest), errors.Is(err, openid4vp.ErrInvalidRequestURIMethod),
		errors.Is(err, openid4vp.ErrInvalidTransactionData):
		o.Title, o.Message = "Not a valid request", "This is not a valid request, or it is not signed properly. Nothing was sent."
	case errors.Is(err, openid4vp.ErrClientMismatch), errors.Is(err, openid4vp.ErrClientKey):
		o.Title, o.Message = "Unknown verifier", "The wallet could not confirm who sent this request. Nothing was sent."
	case errors.Is(err, openid4vp.ErrVerifierUnavailable):
		o.Title, o.Message = "Verifier unreachable", "The verifier could not be reached or could not check your answer now. Try again in a moment."
	case errors.Is(err, errNoKeys):
		o.Title, o.Message = "Not ready yet", "The wallet is still loading what it needs to make proofs. Wait a moment and retry."
	case errors.Is(err, errKeysDigest):
		o.Title, o.Message = "Download damaged", "The proving keys the wallet downloaded are not the published ones. Reload the page to try again."
	default:
		o.Message = "The wallet could not complete this. Nothing was sent."
	}
	return o
}

// PlainError says what went wrong while receiving a credential, in
// plain words.
func PlainError(err error) string {
	var se *openid4vci.ServerError
	switch {
	case errors.Is(err, errNeedPIN):
		return "Enter the PIN the agency sent you (by letter, text message or e-mail)."
	case errors.Is(err, openid4vci.ErrOfferLocked):
		return "Too many wrong PINs: this offer is locked. Ask the agency for a new one."
	case errors.Is(err, openid4vci.ErrInvalidGrant):
		return "The PIN is wrong, or the offer was already used or has expired. Check the PIN and retry, or ask the agency for a new offer."
	case errors.Is(err, openid4vci.ErrExpired):
		return "The offer expired. Ask the agency for a new one."
	case errors.Is(err, openid4vci.ErrInvalidOffer):
		return "This is not a valid credential offer."
	case errors.Is(err, errBadCredential), errors.Is(err, openid4vci.ErrInvalidCredential):
		return "The agency sent a credential the wallet could not verify. It was not stored."
	case errors.Is(err, fetch.ErrFetch), errors.Is(err, fetch.ErrInvalidURL), errors.Is(err, fetch.ErrForbiddenAddress), errors.Is(err, fetch.ErrRedirect):
		return "The agency could not be reached. Check the connection and retry."
	case errors.As(err, &se):
		return "The agency refused: " + se.Code + "."
	}
	return "The wallet could not receive this credential."
}
