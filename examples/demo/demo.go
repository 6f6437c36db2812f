package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/zkcred/zkcred/credential"
	"github.com/zkcred/zkcred/credential/status"
	"github.com/zkcred/zkcred/did"
	"github.com/zkcred/zkcred/verifier"
	"github.com/zkcred/zkcred/verifier/protocol"
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
	w        io.Writer
	keys     *zkp.Keys
	schema   *credential.Schema
	net      *network
	resolver did.Resolver
	agency   *agency
	holding  *protocol.Holding // the citizen's wallet
	tmp      string            // the agency's and verifiers' stores
	steps    []step
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

	shop := d.service("shop", "https://shop.example")
	portal := d.service("portal", "https://portal.example")
	ballot := d.service("ballot", "https://vote.example")
	for _, s := range []*service{shop, portal, ballot} {
		if s.err != nil {
			return d.steps, s.err
		}
		defer s.store.Close()
	}
	issuers := []string{d.agency.DID}
	ref := protocol.SchemaRef{Name: d.schema.Name, Version: d.schema.Version}
	adult := protocol.Predicate{Attribute: "birthDate", Op: protocol.OpAgeAtLeast, Years: ptr(18)}
	shopPolicy := protocol.Policy{Issuers: issuers, Schema: ref, MaxRootAge: 3600,
		Predicates: []protocol.Predicate{adult}}
	portalPolicy := protocol.Policy{Issuers: issuers, Schema: ref, MaxRootAge: 3600,
		Predicates: []protocol.Predicate{{Attribute: "district", Op: protocol.OpEq, Value: ptr(protocol.StringValue("07"))}}}
	votePolicy := protocol.Policy{Issuers: issuers, Schema: ref, MaxRootAge: 3600, Scope: electionScope,
		Predicates: []protocol.Predicate{
			adult,
			{Attribute: "district", Op: protocol.OpIn, Values: []protocol.Value{protocol.StringValue("07"), protocol.StringValue("08")}},
			{Attribute: "voterEligible", Op: protocol.OpEq, Value: ptr(protocol.BoolValue(true))},
		}}

	fmt.Fprintln(w, "\nPresentations (each proof hides every attribute the request does not ask for):")
	shopSub := d.accept(ctx, shop, "shop", "age ≥ 18", shopPolicy, noDisclosure)
	// The portal learns the district matches, not the birth date (nor anything else).
	d.accept(ctx, portal, "portal", "lives in district 07", portalPolicy, noDisclosure)
	d.accept(ctx, ballot, "vote", "adult, district 07 or 08, eligible; one ballot per person", votePolicy, func(r *verifier.Result) error {
		if r.Scope != electionScope || r.Nullifier == "" {
			return errors.New("no nullifier recorded")
		}
		return noDisclosure(r)
	})
	secondReq, secondSub := d.reject(ctx, ballot, "vote again", "a second ballot in "+electionScope, votePolicy, d.holding, verifier.ErrDuplicateNullifier)

	fmt.Fprintln(w, "\nForgeries (no proving needed: each alters a valid presentation):")
	d.forge(ctx, "forged nullifier", "the second ballot with its nullifier replaced to look like a new voter",
		ballot, secondReq, secondSub, func(p *zkp.Presentation) {
			p.Nullifier.MustSetRandom()
		}, verifier.ErrInvalidProof)
	d.forge(ctx, "tampered proof", "the second ballot with one bit of its proof flipped",
		ballot, secondReq, secondSub, func(p *zkp.Presentation) {
			p.Proof[len(p.Proof)/2] ^= 0x01
		}, verifier.ErrInvalidProof, protocol.ErrMalformedPresentation)
	if shopSub != nil {
		req, err := shop.v.NewRequest(ctx, shopPolicy)
		if err != nil {
			return d.steps, err
		}
		d.submit(ctx, "replayed proof", "the shop's accepted proof, sent to a new shop request", shop, req, shopSub, 0,
			verifier.ErrInvalidProof)
	}

	fmt.Fprintln(w, "\nRevocation:")
	d.revoke(ctx, shop, shopPolicy)

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
	tree, _, err := revocationTree(ctx, d.net, d.resolver, d.agency.DID)
	if err != nil {
		return err
	}
	d.holding = &protocol.Holding{Credential: cred, Secret: secret, IssuerKey: zkPub, Revocation: tree}
	d.record(step{Name: "issue", OK: true, Took: time.Since(start),
		Proven:  fmt.Sprintf("a %s credential (VC-JWT of %d bytes + ZK signature) bound to the citizen's secret commitment", d.schema.Name, len(cred.JWT)),
		Learned: "the wallet checked both signatures against the DID document and rebuilt the revocation tree from the signed snapshot"})
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

// service is a verifier with its own embedded store.
type service struct {
	audience string
	v        *verifier.Verifier
	store    *verifier.BoltStore
	err      error
}

func (d *demo) service(name, audience string) *service {
	s := &service{audience: audience}
	if s.store, s.err = verifier.OpenBolt(filepath.Join(d.tmp, name+"-verifier.db")); s.err != nil {
		return s
	}
	roots := verifier.RootSourceFunc(func(ctx context.Context, issuer string) (string, error) {
		if issuer != d.agency.DID {
			return "", fmt.Errorf("no revocation root known for %s", issuer)
		}
		b, err := d.net.get(ctx, rootPath)
		return string(b), err
	})
	s.v, s.err = verifier.New(verifier.Config{
		Store: s.store, Audience: audience, Resolver: d.resolver, Roots: roots,
		Key: d.keys.VerifyingKey, Schemas: []*credential.Schema{d.schema},
		TrustedIssuers: []string{d.agency.DID},
	})
	return s
}

// answer has the wallet read the request as it arrives on the wire from
// service s and prove it with holding.
func (d *demo) answer(s *service, req *protocol.Request, h *protocol.Holding) ([]byte, time.Duration, error) {
	b, err := req.JSON()
	if err != nil {
		return nil, 0, err
	}
	received, err := protocol.ParseRequest(b)
	if err != nil {
		return nil, 0, err
	}
	start := time.Now()
	sub, err := h.Answer(d.keys, received, s.audience)
	return sub, time.Since(start), err
}

// accept runs a presentation that must be accepted and checked by check;
// it returns the accepted submission.
func (d *demo) accept(ctx context.Context, s *service, name, proven string, p protocol.Policy, check func(*verifier.Result) error) []byte {
	start := time.Now()
	st := step{Name: name, Proven: proven}
	defer func() { st.Took = time.Since(start); d.record(st) }()
	req, err := s.v.NewRequest(ctx, p)
	if err != nil {
		st.Learned = "could not create the request: " + err.Error()
		return nil
	}
	sub, prove, err := d.answer(s, req, d.holding)
	if err != nil {
		st.Learned = "the wallet could not prove it: " + err.Error()
		return nil
	}
	vstart := time.Now()
	res, err := s.v.Verify(ctx, req, sub)
	st.Timing = fmt.Sprintf("prove %s, verify %s", round(prove), round(time.Since(vstart)))
	if err != nil {
		st.Learned = "REJECTED: " + err.Error()
		return nil
	}
	if err := check(res); err != nil {
		st.Learned = "accepted, but " + err.Error()
		return nil
	}
	st.OK = true
	st.Learned = "accepted: " + learned(res)
	return sub
}

// reject runs a presentation from h that must be refused with want; it
// returns the request and submission (nil if the wallet could not prove).
func (d *demo) reject(ctx context.Context, s *service, name, proven string, p protocol.Policy, h *protocol.Holding, want error) (*protocol.Request, []byte) {
	req, err := s.v.NewRequest(ctx, p)
	if err != nil {
		d.record(step{Name: name, Proven: proven, Learned: "could not create the request: " + err.Error()})
		return nil, nil
	}
	sub, prove, err := d.answer(s, req, h)
	if err != nil {
		d.record(step{Name: name, Proven: proven, Took: prove, Learned: "the wallet could not prove it: " + err.Error()})
		return nil, nil
	}
	d.submit(ctx, name, proven, s, req, sub, prove, want)
	return req, sub
}

// forge alters a copy of sub with edit and submits it for req.
func (d *demo) forge(ctx context.Context, name, proven string, s *service, req *protocol.Request, sub []byte, edit func(*zkp.Presentation), want ...error) {
	if req == nil || sub == nil {
		d.record(step{Name: name, Proven: proven, Learned: "skipped: the presentation to alter is missing"})
		return
	}
	env, pres, err := protocol.ParseSubmission(sub, d.keys.VerifyingKey)
	if err == nil {
		pres.Proof = append([]byte(nil), pres.Proof...)
		edit(pres)
		sub, err = protocol.NewSubmission(env.Issuer, pres)
	}
	if err != nil {
		d.record(step{Name: name, Proven: proven, Learned: "could not alter the presentation: " + err.Error()})
		return
	}
	d.submit(ctx, name, proven, s, req, sub, 0, want...)
}

// submit sends sub for req and records whether it was refused with one of
// want.
func (d *demo) submit(ctx context.Context, name, proven string, s *service, req *protocol.Request, sub []byte, prove time.Duration, want ...error) {
	start := time.Now()
	_, err := s.v.Verify(ctx, req, sub)
	took := time.Since(start)
	st := step{Name: name, Proven: proven, Err: err, Took: prove + took}
	st.Timing = "verify " + round(took).String()
	if prove > 0 {
		st.Timing = fmt.Sprintf("prove %s, %s", round(prove), st.Timing)
	}
	switch {
	case err == nil:
		st.Learned = "ACCEPTED, but it must be refused"
	case isAny(err, want):
		st.OK = true
		st.Learned = "refused: " + err.Error()
	default:
		st.Learned = fmt.Sprintf("refused for the wrong reason: %v", err)
	}
	d.record(st)
}

// revoke: the agency revokes the credential and republishes its signed
// root. A wallet still holding the old tree can prove against the old
// root, which the verifier no longer accepts; a wallet that fetched the
// new snapshot cannot build a non-revocation witness at all.
func (d *demo) revoke(ctx context.Context, shop *service, policy protocol.Policy) {
	start := time.Now()
	claims, err := d.agency.registry.Revoke(d.holding.Credential.RevocationID)
	st := step{Name: "revoke", Proven: "the agency revokes the citizen's credential and publishes a new signed root", Took: time.Since(start)}
	if err != nil {
		st.Learned = "revocation failed: " + err.Error()
		d.record(st)
		return
	}
	st.OK = true
	st.Learned = fmt.Sprintf("root sequence %d, %d revoked, signed at %s", claims.Sequence, claims.Count, claims.IssuedAt.Format(time.TimeOnly))
	d.record(st)

	stale := *d.holding // still holds the pre-revocation tree
	d.reject(ctx, shop, "old root", "age ≥ 18, proven against the pre-revocation root", policy, &stale, verifier.ErrInvalidProof)

	start = time.Now()
	st = step{Name: "no witness", Proven: "age ≥ 18, after the wallet fetched the new snapshot"}
	tree, _, err := revocationTree(ctx, d.net, d.resolver, d.agency.DID)
	if err == nil {
		fresh := *d.holding
		fresh.Revocation = tree
		req, rerr := shop.v.NewRequest(ctx, policy)
		if rerr != nil {
			err = rerr
		} else {
			_, _, err = d.answer(shop, req, &fresh)
		}
	}
	st.Took, st.Err = time.Since(start), err
	switch {
	case errors.Is(err, status.ErrRevoked):
		st.OK = true
		st.Learned = "nothing: the wallet cannot build a proof (" + err.Error() + ")"
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
