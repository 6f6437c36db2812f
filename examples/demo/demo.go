package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/zkcred/zkcred/credential"
	"github.com/zkcred/zkcred/credential/status/tlog"
	"github.com/zkcred/zkcred/did"
	"github.com/zkcred/zkcred/verifier"
	"github.com/zkcred/zkcred/verifier/protocol"
	"github.com/zkcred/zkcred/verifier/protocol/openid4vp"
	"github.com/zkcred/zkcred/zkp"
)

// options configure one run of the story.
type options struct {
	// Backend is the proof system.
	Backend zkp.Backend
	// Shape is the circuit shape; its slot count is the schema's.
	Shape zkp.Shape
	// CacheDir is the root of the key cache; "" sets up keys in memory.
	CacheDir string
	// Live rewrites a progress line in place while keys are set up (for a
	// terminal); otherwise a line is printed every 10 seconds.
	Live bool
}

// step is one thing the story shows, with what happened.
type step struct {
	Name    string
	Proven  string        // what the holder proved (or tried to)
	Learned string        // what the verifier learned
	Err     error         // the refusal a rejection step saw
	OK      bool          // the step behaved as the story says
	Took    time.Duration // wall time of the step
	Timing  string        // breakdown, e.g. "prove 1.2s, verify 4ms"
}

// The citizen's attributes, as the agency's register holds them.
var citizenValues = map[string]any{
	"birthDate":         "1990-05-17",
	"district":          "07",
	"nationality":       "FR",
	"vehicleCategory":   "B",
	"vehicleRegistered": true,
	"voterEligible":     true,
	"residentSince":     "2015-03-01",
}

const electionScope = "municipal-election-2026"

// demo holds the story's cast.
type demo struct {
	w         io.Writer
	keys      *zkp.Keys
	schema    *credential.Schema
	net       *network
	resolver  did.Resolver
	agency    *agency
	holding   *protocol.Holding // the citizen's wallet
	carried   string            // the checkpoint (with the witness's cosignature) the wallet's tree matches
	wallet    *tlog.HolderSync  // the wallet's view of the agency's revocation log
	neighbour *protocol.Holding // another citizen's wallet
	tmp       string            // the agency's and verifiers' stores
	steps     []step
}

// run plays the whole story, writing one line per step to w, and returns
// the steps. The error is non-nil if something could not be set up or a
// step did not behave as the story says.
func run(ctx context.Context, w io.Writer, o options) ([]step, error) {
	d := &demo{w: w}
	defer d.close()
	if err := d.setup(ctx, o); err != nil {
		return d.steps, err
	}

	shop := d.service("shop", "shop.example", openid4vp.ResponseModeDirectPost)
	portal := d.service("portal", "portal.example", openid4vp.ResponseModeDirectPostJWT)
	ballot := d.service("ballot", "vote.example", openid4vp.ResponseModeDirectPost)
	for _, s := range []*service{shop, portal, ballot} {
		defer s.close()
		if s.err != nil {
			return d.steps, s.err
		}
	}
	// DCQL claims with zkcred's predicate extension (zkcred-dcql-predicates-v1).
	const (
		adult       = `{"path":["credentialSubject","birthDate"],"zkcred_predicate":{"op":"ageAtLeast","years":18}}`
		shopClaims  = adult
		portalClaim = `{"path":["credentialSubject","district"],"values":["07"]}`
		voteClaims  = adult + `,{"path":["credentialSubject","district"],"values":["07","08"]},{"path":["credentialSubject","voterEligible"],"values":[true]}`
	)
	vote := func(choice string) *openid4vp.TransactionData {
		return &openid4vp.TransactionData{Type: openid4vp.TypeBallot, CredentialIDs: []string{"pid"}, BallotID: electionScope, Choice: choice}
	}

	fmt.Fprintf(w, "\nPresentations over OpenID4VP (signed requests from did:web verifiers; each proof hides every attribute the request does not ask for; the wallet carries the agency's revocation checkpoint, cosigned by a witness; no verifier asks the agency):\n")
	shopResp := d.accept(ctx, shop, "shop", "age ≥ 18", "", shopClaims, noDisclosure)
	// The portal learns the district matches, not the birth date (nor anything else).
	d.accept(ctx, portal, "portal", "lives in district 07 (direct_post.jwt: encrypted to the portal)", "", portalClaim, noDisclosure)
	d.accept(ctx, ballot, "vote", "adult, district 07 or 08, eligible; one ballot per person; ballot \"yes\"", electionScope, voteClaims, func(r *verifier.Result) error {
		if r.Scope != electionScope || r.Nullifier == "" {
			return errors.New("no nullifier recorded")
		}
		return noDisclosure(r)
	}, vote("yes"))
	second := d.reject(ctx, ballot, "vote again", "a second ballot (\"no\") in "+electionScope, electionScope, voteClaims,
		d.holding, d.carried, []error{verifier.ErrDuplicateNullifier}, vote("no"))

	fmt.Fprintln(w, "\nForgeries (no proving needed: each alters a valid vp_token):")
	d.forge(ctx, "forged nullifier", "the second ballot with its nullifier replaced to look like a new voter",
		ballot, second, "", func(p *zkp.Presentation) {
			p.Nullifier.MustSetRandom()
		}, verifier.ErrInvalidProof)
	d.forge(ctx, "tampered proof", "the second ballot with one bit of its proof flipped",
		ballot, second, "", func(p *zkp.Presentation) {
			p.Proof[len(p.Proof)/2] ^= 0x01
		}, verifier.ErrInvalidProof, protocol.ErrMalformedPresentation)
	if other, err := d.request(ctx, ballot, electionScope, voteClaims, vote("yes")); err == nil {
		d.forge(ctx, "forged ballot", "the second ballot's proof (made for \"no\") sent for a request whose ballot is \"yes\"",
			ballot, second, other.ID, nil, verifier.ErrInvalidProof)
	} else {
		return d.steps, err
	}
	if shopResp != nil {
		other, err := d.request(ctx, shop, "", shopClaims)
		if err != nil {
			return d.steps, err
		}
		d.forge(ctx, "replayed proof", "the shop's accepted vp_token, sent for a new shop request (another nonce)", shop, shopResp, other.ID, nil,
			verifier.ErrInvalidProof)
	}

	fmt.Fprintln(w, "\nRevocation:")
	d.revoke(ctx, shop, shopClaims)

	fmt.Fprintln(w, "\nSplit view (the witness keeps the agency honest):")
	d.splitView(ctx)

	failed := 0
	for _, s := range d.steps {
		if !s.OK {
			failed++
		}
	}
	if failed > 0 {
		return d.steps, fmt.Errorf("%d of %d steps did not behave as expected", failed, len(d.steps))
	}
	fmt.Fprintf(w, "\nAll %d steps behaved as expected.\n", len(d.steps))
	return d.steps, nil
}

// setup prepares keys, the agency and its network, and the citizen's
// credential.
func (d *demo) setup(ctx context.Context, o options) (err error) {
	shape := o.Shape
	if shape == (zkp.Shape{}) {
		shape = zkp.DefaultShape()
	}
	if d.schema, err = credential.PersonSchema().WithSlots(shape.Slots); err != nil {
		return err
	}
	if err := d.setupKeys(o, shape); err != nil {
		return err
	}

	start := time.Now()
	dir, err := os.MkdirTemp("", "zkcred-demo-")
	if err != nil {
		return err
	}
	d.tmp = dir
	if d.agency, err = newAgency(dir, shape.RevocationDepth); err != nil {
		return err
	}
	h, err := d.agency.handler()
	if err != nil {
		return err
	}
	if d.net, err = newNetwork(h); err != nil {
		return err
	}
	if d.resolver, err = d.net.resolver(); err != nil {
		return err
	}
	if err := d.agency.openLog(ctx, dir, d.net); err != nil {
		return fmt.Errorf("the agency's revocation log: %w", err)
	}
	if d.wallet, err = d.walletLog(ctx); err != nil {
		return err
	}
	docURL, err := did.WebDocumentURL(d.agency.DID)
	if err != nil {
		return err
	}
	// Resolve the agency's DID like any verifier will: over HTTPS.
	if _, err := did.ResolveZKKey(ctx, d.resolver, d.agency.issuer.ZKKeyID); err != nil {
		return fmt.Errorf("resolving the agency's ZK key: %w", err)
	}
	d.record(step{Name: "agency", OK: true, Took: time.Since(start),
		Proven: fmt.Sprintf("%s: DID document with an Ed25519 JOSE key and a BN254 ZK key (assertionMethod)", d.agency.DID),
		Learned: fmt.Sprintf("served at %s by an in-process HTTPS server (%s, self-signed certificate only the demo trusts), resolved with did.WebResolver; bbolt revocation registry, signed root #%d",
			docURL, d.net.ln.Addr(), d.agency.registry.Root().Sequence)})

	// The citizen makes a secret and sends only its commitment; the agency
	// issues; the wallet checks both signatures before storing.
	start = time.Now()
	secret, err := credential.GenerateHolderSecret(rand.Reader)
	if err != nil {
		return err
	}
	cred, err := d.agency.issue(d.schema, citizenValues, secret.Commitment(), time.Now().AddDate(5, 0, 0))
	if err != nil {
		return fmt.Errorf("issuing: %w", err)
	}
	if _, err := cred.Verify(ctx, d.resolver, credential.VerifyOptions{}); err != nil {
		return fmt.Errorf("the wallet refuses the credential: %w", err)
	}
	zkPub, err := did.ResolveZKKey(ctx, d.resolver, cred.ZKKeyID)
	if err != nil {
		return err
	}
	// A neighbour's credential (for the revocation story).
	nsecret, err := credential.GenerateHolderSecret(rand.Reader)
	if err != nil {
		return err
	}
	ncred, err := d.agency.issue(d.schema, citizenValues, nsecret.Commitment(), time.Now().AddDate(5, 0, 0))
	if err != nil {
		return fmt.Errorf("issuing: %w", err)
	}
	tree, root, err := d.revocationTree(ctx)
	if err != nil {
		return err
	}
	d.holding = &protocol.Holding{Credential: cred, Secret: secret, IssuerKey: zkPub, Revocation: tree}
	d.neighbour = &protocol.Holding{Credential: ncred, Secret: nsecret, IssuerKey: zkPub, Revocation: tree}
	d.carried = root
	d.record(step{Name: "issue", OK: true, Took: time.Since(start),
		Proven:  fmt.Sprintf("a %s credential (VC-JWT of %d bytes + ZK signature) bound to the citizen's secret commitment", d.schema.Name, len(cred.JWT)),
		Learned: "the wallet checked both signatures against the DID document, synced the agency's witnessed revocation log and rebuilt the tree from the snapshot matching its checkpoint"})
	return nil
}

func (d *demo) setupKeys(o options, shape zkp.Shape) error {
	fmt.Fprintf(d.w, "Keys: %s, shape %s.\n", o.Backend, shape)
	fmt.Fprintln(d.w, "  DEV ONLY: zkp.UnsafeSetup is a single-party setup; whoever ran it could forge proofs.")
	fmt.Fprintln(d.w, "  Production keys come from an MPC ceremony (Groth16, examples/ceremony) or a ceremony SRS (PLONK).")
	lastLine := time.Duration(0)
	progress := func(el time.Duration) {
		if o.Live {
			fmt.Fprintf(d.w, "\r  compiling the circuit and running the setup… %4.0fs", el.Seconds())
			return
		}
		if el-lastLine >= 10*time.Second {
			lastLine = el
			fmt.Fprintf(d.w, "  still setting up keys (%.0fs)\n", el.Seconds())
		}
	}
	if o.CacheDir == "" {
		fmt.Fprintln(d.w, "  no cache: setting up keys in memory")
	}
	src, err := loadOrSetup(o.CacheDir, shape, o.Backend, progress)
	if o.Live && (src == nil || !src.Cached) {
		fmt.Fprint(d.w, "\r\033[K")
	}
	if err != nil {
		return fmt.Errorf("key setup: %w", err)
	}
	if src.Discard != "" {
		fmt.Fprintf(d.w, "  the cache entry in %s was unusable (%s): regenerated\n", src.Dir, src.Discard)
	}
	d.keys = src.Keys
	how := "generated"
	switch {
	case src.Cached:
		how = "loaded from the cache " + src.Dir
	case src.Dir != "" && src.SaveFail == nil:
		how = "generated and cached in " + src.Dir
	case src.SaveFail != nil:
		how = "generated (caching failed: " + src.SaveFail.Error() + ")"
	}
	d.record(step{Name: "keys", OK: true, Took: src.Took,
		Proven:  fmt.Sprintf("%s keys, %d constraints, fingerprint %.16s…", o.Backend, d.keys.Constraints(), d.keys.VerifyingKey.Fingerprint()),
		Learned: how})
	return nil
}

func (d *demo) close() {
	if d.net != nil {
		d.net.Close()
	}
	if d.agency != nil {
		d.agency.Close()
	}
	if d.tmp != "" {
		os.RemoveAll(d.tmp)
	}
}

// schemas are the schemas the demo's verifiers accept.
func (d *demo) schemas() []*credential.Schema { return []*credential.Schema{d.schema} }

// revoke: the agency revokes the credential and republishes its signed
// root. A wallet still holding the old tree can prove against the old
// root, which the verifier no longer accepts; a wallet that fetched the
// new snapshot cannot build a non-revocation witness at all.
func (d *demo) revoke(ctx context.Context, shop *service, claims string) {
	start := time.Now()
	claimsRoot, err := d.agency.registry.Revoke(d.holding.Credential.RevocationID)
	if err == nil {
		err = d.agency.publish(ctx) // tiles, chunks, checkpoint cosigned by the witness
	}
	st := step{Name: "revoke", Proven: "the agency revokes the citizen's credential and publishes a new checkpoint, cosigned by the witness", Took: time.Since(start)}
	if err != nil {
		st.Learned = "revocation failed: " + err.Error()
		d.record(st)
		return
	}
	st.OK = true
	st.Learned = fmt.Sprintf("root sequence %d, %d revoked, signed at %s", claimsRoot.Sequence, claimsRoot.Count, claimsRoot.IssuedAt.Format(time.TimeOnly))
	d.record(st)

	// A neighbour's wallet presents with the new root: the shop's store
	// raises its floor for the agency to that root.
	tree, root, err := d.revocationTree(ctx)
	if err != nil {
		d.record(step{Name: "neighbour", Learned: "fetching the new root failed: " + err.Error()})
		return
	}
	neighbour := *d.neighbour
	neighbour.Revocation = tree
	saved, savedRoot := d.holding, d.carried
	d.holding, d.carried = &neighbour, root
	d.accept(ctx, shop, "neighbour", "age ≥ 18, another citizen, against the new root", "", claims, noDisclosure)
	d.holding, d.carried = saved, savedRoot

	// The citizen's wallet still holds the pre-revocation tree and root.
	d.reject(ctx, shop, "old root", "age ≥ 18, proven against the pre-revocation root (still within its age limit)", "", claims,
		d.holding, d.carried, []error{verifier.ErrStaleRoot})

	start = time.Now()
	st = step{Name: "no witness", Proven: "age ≥ 18, after the wallet fetched the new snapshot"}
	fresh := *d.holding
	fresh.Revocation = tree
	ar, err := d.request(ctx, shop, "", claims)
	if err == nil {
		_, _, err = d.answer(ctx, shop, ar.URI, &fresh, root)
	}
	st.Took, st.Err = time.Since(start), err
	switch {
	case errors.Is(err, openid4vp.ErrNoCredential):
		st.OK = true
		st.Learned = "nothing: the wallet finds no unrevoked credential and asks no consent (" + err.Error() + ")"
	case err == nil:
		st.Learned = "the wallet proved a revoked credential"
	default:
		st.Learned = "failed for the wrong reason: " + err.Error()
	}
	d.record(st)
}

// record prints a step's line and keeps it.
func (d *demo) record(s step) {
	mark := "ok  "
	if !s.OK {
		mark = "FAIL"
	}
	detail := ""
	if s.Timing != "" {
		detail = " (" + s.Timing + ")"
	}
	fmt.Fprintf(d.w, "%s %-16s %8s  %s → %s%s\n", mark, s.Name, round(s.Took), s.Proven, s.Learned, detail)
	d.steps = append(d.steps, s)
}

// learned says what an accepted presentation told the verifier.
func learned(r *verifier.Result) string {
	var facts []string
	for _, p := range r.Predicates {
		facts = append(facts, describe(p))
	}
	out := strings.Join(facts, ", ") + " per " + r.Issuer
	if len(r.Disclosed) == 0 {
		out += "; no attribute value"
	} else {
		out += fmt.Sprintf("; disclosed %v", r.Disclosed)
	}
	if r.Nullifier != "" {
		out += fmt.Sprintf("; nullifier %.12s… recorded for %s", r.Nullifier, r.Scope)
	}
	return out
}

func describe(p protocol.Predicate) string {
	switch {
	case p.Years != nil:
		return fmt.Sprintf("%s %s %d years", p.Attribute, p.Op, *p.Years)
	case p.Value != nil:
		return fmt.Sprintf("%s %s %s", p.Attribute, p.Op, p.Value)
	case p.Values != nil:
		vs := make([]string, len(p.Values))
		for i, v := range p.Values {
			vs[i] = v.String()
		}
		return fmt.Sprintf("%s %s {%s}", p.Attribute, p.Op, strings.Join(vs, ", "))
	case p.Min != nil && p.Max != nil:
		return fmt.Sprintf("%s %s %s and %s", p.Attribute, p.Op, p.Min, p.Max)
	}
	return fmt.Sprintf("%s %s", p.Attribute, p.Op)
}

func noDisclosure(r *verifier.Result) error {
	if len(r.Disclosed) != 0 {
		return fmt.Errorf("the verifier learned attribute values %v", r.Disclosed)
	}
	return nil
}

func isAny(err error, targets []error) bool {
	for _, t := range targets {
		if errors.Is(err, t) {
			return true
		}
	}
	return false
}

func round(d time.Duration) time.Duration {
	switch {
	case d >= time.Second:
		return d.Round(10 * time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(100 * time.Microsecond)
	}
	return d.Round(time.Microsecond)
}

func ptr[T any](v T) *T { return &v }
