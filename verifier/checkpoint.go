package verifier

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/zkcred/zkcred/credential/status"
	"github.com/zkcred/zkcred/credential/status/tlog"
	"github.com/zkcred/zkcred/did"
	"github.com/zkcred/zkcred/verifier/protocol"
	"github.com/zkcred/zkcred/verifier/protocol/openid4vp"
)

// LogPolicy says how a verifier accepts an issuer's revocation root from
// the issuer's witnessed revocation log (package
// [github.com/zkcred/zkcred/credential/status/tlog]): the holder carries a
// checkpoint (a signed note with witness cosignatures) and the verifier
// accepts the indexed-tree root it commits to only if
//
//   - it is signed by the issuer's log key, an Ed25519 key in the
//     assertionMethod of the issuer's DID document
//     ([tlog.LogKeysFromDocument]);
//   - at least Quorum of the configured witnesses cosigned it
//     (tlog-cosignature/v1), so that a split view needs Quorum witnesses to
//     collude;
//   - it is fresh: the Quorum-th newest cosignature (or, with Quorum 0,
//     the checkpoint's own time) is no older than the request's
//     maxRootAge;
//   - its sequence is not below the issuer's rollback floor in the Store;
//   - it is consistent with the latest checkpoint the Store holds for the
//     issuer ([CheckpointStore], shared by every instance): the same state
//     at the same size, or an extension (or a prefix) proven by a
//     consistency proof the verifier computes from the issuer's log tiles,
//     fetched through Tiles from the URL the issuer's DID document names
//     ([tlog.LogURL]). A newer consistent checkpoint replaces the stored
//     one.
//
// Why the verifier fetches the proof rather than the holder carrying it:
// the proof must start from the checkpoint this verifier stored, which the
// holder does not know; and the fetch tells the agency only that some
// verifier saw a new checkpoint (once per checkpoint, for every instance
// sharing the store, since tiles are immutable), never which holder
// presented. The holder fetches nothing at presentation time.
type LogPolicy struct {
	// Witnesses and Quorum apply to every issuer without an entry in
	// Issuers: Quorum of the Witnesses (distinct names and keys), at least
	// 1 (0 only with InsecureNoWitnesses).
	Witnesses []*tlog.WitnessKey
	Quorum    int
	// Issuers overrides Witnesses and Quorum per issuer DID (a did:web
	// host is matched case-insensitively; [New] refuses a key that is not
	// a DID, or two keys naming one issuer).
	Issuers map[string]WitnessSet
	// Tiles fetches the issuers' log tiles and checkpoints (a
	// *fetch.Client; its MaxBytes must admit an 8 KiB tile). Required.
	Tiles tlog.Getter
	// AllowHTTPLogs accepts http:// log URLs in DID documents (loopback
	// development only).
	AllowHTTPLogs bool
	// InsecureNoWitnesses lets Quorum (and an Issuers entry's Quorum) be
	// 0: the issuer's signature alone is trusted, with no protection
	// against a split view. Development only; without it [New] refuses a
	// quorum below 1.
	InsecureNoWitnesses bool
	// KeysLog says whether the Ed25519 key that signs an issuer's
	// revocation checkpoints and the ZK key a presentation names must be
	// in the latest version of the issuer's DID document in its witnessed
	// keys log (service [tlog.KeysLogService], checked with the same
	// witnesses and quorum, consistent with the keys-log checkpoint the
	// Store holds): by default when the issuer's DID document names one
	// ([KeysLogIfNamed]). The keys-log checkpoint is fetched at most once
	// every 5 minutes per issuer, its latest entry once per checkpoint.
	// Checked for checkpoints; for a signed root (Config.Roots set too)
	// the ZK key is checked.
	KeysLog KeysLogCheck
}

// WitnessSet is the witnesses and quorum trusted for one issuer (see
// [LogPolicy]).
type WitnessSet struct {
	Witnesses []*tlog.WitnessKey
	Quorum    int
}

// Errors of the checkpoint path (see [LogPolicy]); ErrorCode maps them.
var (
	// ErrUnwitnessed is returned when the carried checkpoint is not signed
	// by the issuer's log key, or lacks the configured quorum of witness
	// cosignatures, or the verifier takes only checkpoints and the holder
	// carried a signed root. It wraps the tlog error.
	ErrUnwitnessed = errors.New("verifier: revocation checkpoint not signed by the issuer's log or not witnessed by a quorum")
	// ErrSplitView is returned when the carried checkpoint contradicts
	// the one this verifier's store holds for the issuer: another state at
	// the same size, or a log that does not extend (or is not a prefix of)
	// it. The issuer showed different logs to different parties; both
	// notes are logged as evidence.
	ErrSplitView = errors.New("verifier: the issuer's revocation log contradicts the checkpoint already seen (split view)")
)

// checkConfig validates a LogPolicy and returns a copy whose Issuers are
// keyed by their normalized DIDs (see canonicalDID). Each message says
// what to fix.
func (p *LogPolicy) checkConfig() (*LogPolicy, error) {
	if p.Tiles == nil {
		return nil, fmt.Errorf("verifier: config: Log.Tiles is required (a *fetch.Client that fetches the issuers' log tiles)")
	}
	check := func(where string, ws []*tlog.WitnessKey, q int, origin string) error {
		switch {
		case len(ws) > tlog.MaxWitnesses:
			return fmt.Errorf("verifier: config: %s: %d witnesses, at most %d", where, len(ws), tlog.MaxWitnesses)
		case q > len(ws):
			return fmt.Errorf("verifier: config: %s: Quorum %d but only %d witnesses: lower the quorum or add witnesses", where, q, len(ws))
		case q < 0 || (q == 0 && !p.InsecureNoWitnesses):
			return fmt.Errorf("verifier: config: %s: Quorum %d: at least 1 witness cosignature is needed to catch a split view (set Log.InsecureNoWitnesses only for development)", where, q)
		}
		for i, w := range ws {
			if w == nil {
				return fmt.Errorf("verifier: config: %s: witness %d is nil", where, i)
			}
			for _, o := range ws[:i] {
				if o.Name() == w.Name() || o.PublicKey().Equal(w.PublicKey()) {
					return fmt.Errorf("verifier: config: %s: witness %.80q listed twice (the same name or key): remove the duplicate, or no checkpoint is ever accepted", where, w.Name())
				}
			}
			if origin != "" && w.Name() == origin {
				return fmt.Errorf("verifier: config: %s: witness %.80q is named like the issuer's own log: a log cannot witness itself", where, w.Name())
			}
		}
		return nil
	}
	if err := check("Log", p.Witnesses, p.Quorum, ""); err != nil {
		return nil, err
	}
	if p.KeysLog < KeysLogIfNamed || p.KeysLog > KeysLogOff {
		return nil, fmt.Errorf("verifier: config: Log.KeysLog %d: use KeysLogIfNamed, KeysLogRequired or KeysLogOff", p.KeysLog)
	}
	out := *p
	out.Witnesses = slices.Clone(p.Witnesses)
	out.Issuers = make(map[string]WitnessSet, len(p.Issuers))
	for iss, s := range p.Issuers {
		norm, err := canonicalDID(iss)
		if err != nil {
			return nil, fmt.Errorf("verifier: config: Log.Issuers[%.80q]: not a DID (%v): write the issuer's DID as its credentials name it", iss, err)
		}
		if _, dup := out.Issuers[norm]; dup {
			return nil, fmt.Errorf("verifier: config: Log.Issuers: %.80q is listed twice (written differently): keep one entry", norm)
		}
		origin, _ := tlog.RevocationOrigin(norm)
		if err := check(fmt.Sprintf("Log.Issuers[%.80q]", iss), s.Witnesses, s.Quorum, origin); err != nil {
			return nil, err
		}
		out.Issuers[norm] = WitnessSet{Witnesses: slices.Clone(s.Witnesses), Quorum: s.Quorum}
	}
	return &out, nil
}

// canonicalDID returns the normalized form of a DID: did.Parse's syntax,
// and for did:web the host in lower case (DNS names are case-insensitive;
// the did:web resolver lowercases it too), so that "did:web:Agency.Example"
// names the same issuer as "did:web:agency.example".
func canonicalDID(s string) (string, error) {
	d, err := did.Parse(s)
	if err != nil {
		return "", err
	}
	if d.Method == "web" {
		host, rest, _ := strings.Cut(d.ID, ":")
		name, port, hasPort := strings.Cut(host, "%3A")
		host = strings.ToLower(name)
		if hasPort {
			host += "%3A" + port
		}
		if rest != "" {
			host += ":" + rest
		}
		d.ID = host
	}
	return d.String(), nil
}

func (p *LogPolicy) witnesses(issuer string) ([]*tlog.WitnessKey, int) {
	if len(p.Issuers) > 0 {
		if norm, err := canonicalDID(issuer); err == nil {
			if s, ok := p.Issuers[norm]; ok {
				return s.Witnesses, s.Quorum
			}
		}
	}
	return p.Witnesses, p.Quorum
}

// acceptedCheckpoint is a checkpoint verified by policy, with the URL of
// its log.
type acceptedCheckpoint struct {
	cp     *tlog.Checkpoint
	policy *tlog.Policy
	logURL string
}

// openCheckpoint verifies note as issuer's revocation checkpoint: the log
// key from the issuer's DID document, the witness quorum.
func (v *Verifier) openCheckpoint(ctx context.Context, issuer string, note []byte) (*acceptedCheckpoint, error) {
	return v.openNote(ctx, issuer, tlog.KindRevocation, note)
}

// openNote verifies note as a checkpoint of issuer's log of kind (its
// origin, a log key from the issuer's DID document, the witness quorum)
// and finds the log's URL in that document ("" if it names none).
func (v *Verifier) openNote(ctx context.Context, issuer string, kind tlog.Kind, note []byte) (*acceptedCheckpoint, error) {
	lp := v.cfg.Log
	originFor := tlog.RevocationOrigin
	if kind == tlog.KindKeys {
		originFor = tlog.KeysOrigin
	}
	origin, err := originFor(issuer)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnwitnessed, err)
	}
	keys, doc, err := tlog.LogKeysFromDocument(ctx, v.cfg.Resolver, issuer, origin)
	if err != nil {
		if transient(err) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %w", ErrUnwitnessed, err)
	}
	ws, quorum := lp.witnesses(issuer)
	var last error
	for _, k := range keys {
		for _, w := range ws {
			if w.PublicKey().Equal(k.PublicKey()) {
				v.cfg.Logger.ErrorContext(ctx, "verifier: config: a witness has the issuer's own log key; remove it from Log.Witnesses", "issuer", issuer, "witness", w.Name())
				return nil, fmt.Errorf("%w: witness %.80q has the issuer's own log key (a configuration mistake: the issuer could witness itself); remove it from the verifier's Log.Witnesses", ErrUnwitnessed, w.Name())
			}
		}
		p, err := tlog.NewPolicy(k, ws, quorum)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrUnwitnessed, err)
		}
		cp, err := p.Verify(note)
		if errors.Is(err, tlog.ErrBadSignature) {
			last = err
			continue
		}
		if errors.Is(err, tlog.ErrMalformedCheckpoint) {
			return nil, fmt.Errorf("%w: %w", ErrUnwitnessed, err)
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrUnwitnessed, err)
		}
		if cp.Kind != kind {
			return nil, fmt.Errorf("%w: a %s log checkpoint, not a %s log's", ErrUnwitnessed, cp.Kind, kind)
		}
		u, err := tlog.LogURL(doc, kind, lp.AllowHTTPLogs)
		if err != nil {
			u = "" // needed only for a consistency proof; reported there
		}
		return &acceptedCheckpoint{cp: cp, policy: p, logURL: u}, nil
	}
	return nil, fmt.Errorf("%w: %w", ErrUnwitnessed, last)
}

// checkpointRoot checks a checkpoint note of issuer: checkpointClaims,
// then its consistency with the store, without a proof or the keys log.
// The request paths do not use it (they call settleCheckpoint after the
// proof); tests use it to feed the store checkpoints.
func (v *Verifier) checkpointRoot(ctx context.Context, maxAge time.Duration, issuer string, note []byte) (*status.RootClaims, error) {
	claims, ac, err := v.checkpointClaims(ctx, maxAge, issuer, note)
	if err != nil {
		return nil, err
	}
	if err := v.checkConsistency(ctx, issuer, ac); err != nil {
		return nil, err
	}
	return claims, nil
}

// checkpointClaims checks the checkpoint note a holder carried for issuer
// (see [LogPolicy]): the issuer's signature and the witness quorum, the
// request's maximum age and the store's floor; it returns the revocation
// root it commits to as RootClaims (IssuedAt is the freshness time). Its
// consistency with the stored checkpoint is left to checkConsistency,
// which may fetch tiles: the caller verifies the presentation's proof
// first, so that nobody without a valid proof makes the verifier fetch.
func (v *Verifier) checkpointClaims(ctx context.Context, maxAge time.Duration, issuer string, note []byte) (*status.RootClaims, *acceptedCheckpoint, error) {
	if _, ok := v.cfg.Store.(CheckpointStore); !ok {
		return nil, nil, fmt.Errorf("%w: the store keeps no checkpoints", ErrStore)
	}
	if len(note) == 0 || len(note) > tlog.MaxCheckpointSize {
		return nil, nil, fmt.Errorf("%w: checkpoint empty or larger than %d bytes", ErrUnwitnessed, tlog.MaxCheckpointSize)
	}
	ac, err := v.openCheckpoint(ctx, issuer, note)
	if err != nil {
		return nil, nil, err
	}
	cp := ac.cp
	if want := v.cfg.Key.Shape().RevocationDepth; cp.Indexed.Depth != want {
		return nil, nil, fmt.Errorf("%w: checkpoint of a depth-%d tree, circuit has depth %d", ErrStaleRoot, cp.Indexed.Depth, want)
	}
	now := v.cfg.Now()
	fresh, err := freshness(cp, ac.policy.Quorum(), now)
	if err != nil {
		return nil, nil, err
	}
	if maxAge <= 0 {
		maxAge = status.DefaultMaxRootAge
	}
	if age := now.Sub(fresh); age > maxAge {
		return nil, nil, fmt.Errorf("%w: %w", ErrStaleRoot, &status.StaleRootError{Age: age, MaxAge: maxAge})
	}
	floor, err := v.cfg.Store.RootFloor(ctx, issuer)
	if err != nil {
		return nil, nil, err
	}
	if cp.Indexed.Sequence < floor {
		return nil, nil, staleFloor(issuer, cp.Indexed.Sequence, floor)
	}
	return &status.RootClaims{
		Issuer: issuer, Root: cp.Indexed.Root, Depth: cp.Indexed.Depth,
		Count: uint64(cp.Size), Sequence: cp.Indexed.Sequence, IssuedAt: fresh,
	}, ac, nil
}

// maxClockSkew is how far in the future a checkpoint or cosignature time
// may be.
const maxClockSkew = time.Minute

// freshness returns the time a checkpoint is known current at: the
// quorum-th newest witness cosignature (quorum witnesses vouch that it was
// the latest they knew of then), or the checkpoint's own time with quorum
// 0. Times in the future beyond the skew are refused.
func freshness(cp *tlog.Checkpoint, quorum int, now time.Time) (time.Time, error) {
	if cp.Time.After(now.Add(maxClockSkew)) {
		return time.Time{}, fmt.Errorf("%w: checkpoint time %s is in the future", ErrStaleRoot, cp.Time.Format(time.RFC3339))
	}
	if quorum == 0 {
		return cp.Time, nil
	}
	var ts []time.Time
	for _, c := range cp.Cosignatures {
		if !c.Time.After(now.Add(maxClockSkew)) {
			ts = append(ts, c.Time)
		}
	}
	if len(ts) < quorum {
		return time.Time{}, fmt.Errorf("%w: %d cosignatures not in the future, quorum %d", ErrUnwitnessed, len(ts), quorum)
	}
	slices.SortFunc(ts, func(a, b time.Time) int { return b.Compare(a) })
	return ts[quorum-1], nil
}

// checkConsistency checks ac against the checkpoint stored for issuer and
// advances the store to ac when it is newer. A concurrent advance (another
// instance) is re-read and rechecked, a few times. Consistency proofs come
// from the issuer's tiles through the verifier's caches (consistent): a
// pair already proven costs no fetch.
func (v *Verifier) checkConsistency(ctx context.Context, issuer string, ac *acceptedCheckpoint) error {
	cs, ok := v.cfg.Store.(CheckpointStore)
	if !ok {
		return fmt.Errorf("%w: the store keeps no checkpoints", ErrStore)
	}
	cp := ac.cp
	for range 4 {
		prevNote, err := cs.LatestCheckpoint(ctx, issuer)
		if err != nil {
			return err
		}
		if prevNote == nil {
			err = cs.AdvanceCheckpoint(ctx, issuer, nil, cp.Note)
			if errors.Is(err, ErrCheckpointChanged) {
				continue
			}
			return err
		}
		// The store holds what this package wrote after verifying it.
		prev, err := tlog.ParseCheckpoint(prevNote)
		if err != nil {
			return fmt.Errorf("%w: stored checkpoint of %.200s does not parse: %v", ErrStore, issuer, err)
		}
		switch {
		case cp.Size == prev.Size:
			if !prev.Same(cp) {
				return v.splitView(ctx, issuer, prevNote, cp.Note, tlog.ErrSplitView)
			}
			if !cp.Time.After(prev.Time) {
				return nil // the same state, re-signed no later: nothing to store
			}
		case cp.Size < prev.Size:
			// An older checkpoint: it must be a prefix of the stored one.
			bad, err := v.consistent(ctx, ac, cp, prev)
			if err != nil {
				return err
			}
			if bad != nil {
				return v.splitView(ctx, issuer, prevNote, cp.Note, bad)
			}
			return nil
		default:
			bad, err := v.consistent(ctx, ac, prev, cp)
			if err != nil {
				return err
			}
			if bad != nil {
				return v.splitView(ctx, issuer, prevNote, cp.Note, bad)
			}
		}
		err = cs.AdvanceCheckpoint(ctx, issuer, prevNote, cp.Note)
		if errors.Is(err, ErrCheckpointChanged) {
			continue
		}
		return err
	}
	return fmt.Errorf("%w: the stored checkpoint of %.200s kept changing", ErrStore, issuer)
}

// splitView reports a checkpoint that contradicts the stored one, logging
// both notes: signed by the issuer (and witnesses), they are evidence.
func (v *Verifier) splitView(ctx context.Context, issuer string, stored, carried []byte, err error) error {
	v.cfg.Logger.WarnContext(ctx, "verifier: issuer's revocation log contradicts the stored checkpoint (split view?)",
		"issuer", issuer, "stored", string(stored), "carried", string(carried), "err", err)
	return fmt.Errorf("%w: %w", ErrSplitView, err)
}

// carriedRoot checks the revocation root a vp_token value carries: a
// checkpoint (version 2) when Config.Log is set, a signed root (version 1)
// when Config.Roots is. For a checkpoint it also returns settle, which
// the caller must call once the presentation's proof verified against the
// root: it checks the checkpoint's consistency with the stored one (which
// may fetch the issuer's tiles) and advances the store, then the keys
// (the checkpoint's signing key, keyID's zk) against the issuer's keys log
// (checkKeysLog).
func (v *Verifier) carriedRoot(ctx context.Context, req *protocol.Request, issuer, keyID string, zk *did.ZKPublicKey, p *openid4vp.Presentation) (root *status.RootClaims, settle func(context.Context) error, err error) {
	switch {
	case p.Version == openid4vp.PresentationVersion && v.cfg.Log != nil:
		claims, ac, err := v.checkpointClaims(ctx, time.Duration(req.MaxRootAge)*time.Second, issuer, []byte(p.Checkpoint))
		if err != nil {
			return nil, nil, err
		}
		return claims, v.settleCheckpoint(issuer, ac, keyID, zk), nil
	case p.Version == openid4vp.PresentationVersionV1 && v.cfg.Roots != nil:
		root, err := v.verifyRoot(ctx, req, issuer, p.RevocationRoot)
		return root, v.settleSignedRoot(issuer, keyID, zk), err
	case p.Version == openid4vp.PresentationVersionV1:
		return nil, nil, fmt.Errorf("%w: this verifier takes only witnessed checkpoints (vp_token value %s), not signed roots", ErrUnwitnessed, openid4vp.PresentationVersion)
	}
	return nil, nil, fmt.Errorf("%w: this verifier takes no checkpoints, only signed roots (vp_token value %s)", ErrStaleRoot, openid4vp.PresentationVersionV1)
}

// settleCheckpoint returns the checks of an accepted checkpoint ac of
// issuer that wait until the presentation's proof verified against its
// root: the keys (the checkpoint's signing key, keyID's zk) against the
// issuer's keys log (checkKeysLog), then consistency with the stored
// checkpoint (which may fetch the issuer's tiles) and the store's advance,
// last, so that a presentation refused by any check stores nothing. Both
// request formats call it.
func (v *Verifier) settleCheckpoint(issuer string, ac *acceptedCheckpoint, keyID string, zk *did.ZKPublicKey) func(context.Context) error {
	return func(ctx context.Context) error {
		if err := v.checkKeysLog(ctx, issuer, ac, keyID, zk); err != nil {
			return err
		}
		return v.checkConsistency(ctx, issuer, ac)
	}
}

// settleSignedRoot is settleCheckpoint for a signed root (Config.Roots):
// with Config.Log set too, the ZK key keyID (zk) is checked against the
// issuer's keys log as for a checkpoint, so that a holder answering with
// a signed root does not skip the check (a per-holder ZK key).
func (v *Verifier) settleSignedRoot(issuer, keyID string, zk *did.ZKPublicKey) func(context.Context) error {
	return func(ctx context.Context) error {
		return v.checkKeysLog(ctx, issuer, nil, keyID, zk)
	}
}

// latestCheckpointRoot is revocationRoot without Config.Roots: the
// issuer's latest checkpoint, fetched from the log its DID document names,
// checked as a carried one is (checkpointClaims now; settle, which the
// caller calls once the proof verified, as for carriedRoot).
func (v *Verifier) latestCheckpointRoot(ctx context.Context, req *protocol.Request, issuer, keyID string, zk *did.ZKPublicKey) (root *status.RootClaims, settle func(context.Context) error, err error) {
	if v.cfg.Log == nil {
		return nil, nil, fmt.Errorf("%w: no revocation root source configured", ErrStaleRoot)
	}
	res, err := v.cfg.Resolver.Resolve(ctx, issuer)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrUntrustedIssuer, err)
	}
	if res == nil || res.Document == nil {
		return nil, nil, fmt.Errorf("%w: no DID document for %s", ErrUntrustedIssuer, issuer)
	}
	u, err := tlog.LogURL(res.Document, tlog.KindRevocation, v.cfg.Log.AllowHTTPLogs)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrStaleRoot, err)
	}
	r, err := v.cfg.Log.Tiles.Get(ctx, u+"/checkpoint", "text/plain")
	if err != nil {
		if transient(err) {
			return nil, nil, err
		}
		return nil, nil, fmt.Errorf("%w: fetching the checkpoint of %s: %w", ErrStaleRoot, issuer, err)
	}
	if r.StatusCode != 200 {
		return nil, nil, fmt.Errorf("%w: fetching the checkpoint of %s: %s", ErrStaleRoot, issuer, r.Status)
	}
	claims, ac, err := v.checkpointClaims(ctx, time.Duration(req.MaxRootAge)*time.Second, issuer, r.Body)
	if err != nil {
		return nil, nil, err
	}
	return claims, v.settleCheckpoint(issuer, ac, keyID, zk), nil
}
