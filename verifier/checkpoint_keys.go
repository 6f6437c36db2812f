package verifier

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"time"

	"github.com/zkcred/zkcred/credential/status/tlog"
	"github.com/zkcred/zkcred/did"
)

// KeysLogCheck says whether a verifier checks the issuer's keys with the
// issuer's witnessed keys log (see [LogPolicy.KeysLog]).
type KeysLogCheck int

const (
	// KeysLogIfNamed checks the keys when the issuer's DID document names
	// a keys log (service [tlog.KeysLogService]); the default.
	KeysLogIfNamed KeysLogCheck = iota
	// KeysLogRequired refuses an issuer whose DID document names no keys
	// log: an agency cannot avoid the check by leaving the service out of
	// the document it shows a verifier.
	KeysLogRequired
	// KeysLogOff does not check the keys log.
	KeysLogOff
)

// ErrUnloggedKey is returned (wrapped with [ErrUntrustedIssuer]) when the
// Ed25519 key that signs an issuer's revocation checkpoints, or the ZK key
// a presentation names, is not in the latest version of the issuer's DID
// document in its witnessed keys log: a key the agency shows only to some
// holders or verifiers (to tell them apart) instead of publishing it to
// everyone.
var ErrUnloggedKey = errors.New("verifier: the issuer's key is not in its latest witnessed keys-log entry")

// keysLogTTL is how long a fetched keys-log checkpoint is used before the
// verifier fetches the checkpoint again (once per issuer for every
// presentation meanwhile: the fetch tells the agency nothing about which
// holder presented, or when, within the interval).
const keysLogTTL = 5 * time.Minute

// keysLogMaxStale is how long the last keys-log state is still used while
// the agency's log cannot be reached.
const keysLogMaxStale = time.Hour

// maxKeysStates bounds the issuers whose keys-log state is cached.
const maxKeysStates = 1024

// keysLogStoreSuffix makes the CheckpointStore key of an issuer's keys log
// (the issuer's revocation log is stored under the DID itself).
const keysLogStoreSuffix = "#keys-log"

// keysState is what the verifier knows of an issuer's keys log: the latest
// entry (a DID document) of the checkpoint last fetched.
type keysState struct {
	fetched time.Time
	body    [32]byte      // SHA-256 of the checkpoint's signed body
	doc     *did.Document // nil: the issuer names no keys log
	res     did.Resolver  // over doc
}

type keysFlight struct {
	done chan struct{}
	st   *keysState
	err  error
}

// checkKeysLog checks, per Config.Log.KeysLog, that the key signing ac
// (issuer's revocation checkpoint; nil for a signed root, which has none)
// and the ZK key keyID (resolved as zk) are in the latest entry of
// issuer's witnessed keys log.
func (v *Verifier) checkKeysLog(ctx context.Context, issuer string, ac *acceptedCheckpoint, keyID string, zk *did.ZKPublicKey) error {
	if v.cfg.Log == nil {
		return nil
	}
	mode := v.cfg.Log.KeysLog
	if mode == KeysLogOff {
		return nil
	}
	st, err := v.keysLogState(ctx, issuer)
	if err != nil {
		return err
	}
	if st.doc == nil {
		if mode == KeysLogRequired {
			return fmt.Errorf("%w: %w: %.200s names no keys log (service %s) and this verifier requires one", ErrUntrustedIssuer, ErrUnloggedKey, issuer, tlog.KeysLogService)
		}
		return nil
	}
	if ac != nil {
		if err := v.checkLogKeyLogged(ctx, st, issuer, ac); err != nil {
			return err
		}
	}
	logged, err := did.ResolveZKKey(ctx, st.res, keyID)
	if err != nil || !logged.Equal(zk) {
		return fmt.Errorf("%w: %w: ZK key %.200s is not in the latest keys-log entry of its issuer", ErrUntrustedIssuer, ErrUnloggedKey, keyID)
	}
	return nil
}

// checkLogKeyLogged checks that the key signing ac is a log key of the
// DID document in st.
func (v *Verifier) checkLogKeyLogged(ctx context.Context, st *keysState, issuer string, ac *acceptedCheckpoint) error {
	logKeys, _, err := tlog.LogKeysFromDocument(ctx, st.res, issuer, ac.cp.Origin)
	found := false
	if err == nil {
		pub := ac.policy.Log().PublicKey()
		for _, k := range logKeys {
			found = found || k.PublicKey().Equal(pub)
		}
	}
	if !found {
		return fmt.Errorf("%w: %w: the key signing %.200s's revocation checkpoints is not in its latest keys-log entry", ErrUntrustedIssuer, ErrUnloggedKey, issuer)
	}
	return nil
}

// keysLogState returns issuer's keys-log state, fetched at most once per
// keysLogTTL (concurrent callers share one fetch); while the log cannot be
// reached, the last state is used for up to keysLogMaxStale.
func (v *Verifier) keysLogState(ctx context.Context, issuer string) (*keysState, error) {
	c := &v.logc
	now := v.cfg.Now()
	c.mu.Lock()
	c.init()
	prev := c.keys[issuer]
	if prev != nil && now.Sub(prev.fetched) < keysLogTTL && !now.Before(prev.fetched) {
		c.mu.Unlock()
		return prev, nil
	}
	f, running := c.keyFlights[issuer]
	if !running {
		f = &keysFlight{done: make(chan struct{})}
		c.keyFlights[issuer] = f
	}
	c.mu.Unlock()
	if !running {
		// The leader always releases the waiters and the flight, even if
		// the fetch panics (a caller's Getter or Resolver): the panic
		// becomes an error for every waiter.
		func() {
			defer close(f.done)
			defer func() {
				if r := recover(); r != nil {
					f.st, f.err = nil, fmt.Errorf("%w: reading the issuer's keys log panicked: %v", ErrStore, r)
				}
				c.mu.Lock()
				delete(c.keyFlights, issuer)
				if f.err == nil && f.st != prev {
					if _, ok := c.keys[issuer]; !ok && len(c.keys) >= maxKeysStates {
						for k := range c.keys { // evict one, any
							delete(c.keys, k)
							break
						}
					}
					c.keys[issuer] = f.st
				}
				c.mu.Unlock()
			}()
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), consistencyFetchTimeout)
			defer cancel()
			f.st, f.err = v.fetchKeysLog(fctx, issuer, prev, now)
			if f.err != nil && transient(f.err) && prev != nil && now.Sub(prev.fetched) < keysLogMaxStale {
				v.cfg.Logger.WarnContext(ctx, "verifier: the issuer's keys log cannot be reached; using the last state", "issuer", issuer, "err", f.err)
				f.st, f.err = prev, nil
			}
		}()
	}
	select {
	case <-f.done:
		return f.st, f.err
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: waiting for the issuer's keys log: %w", ErrStore, ctx.Err())
	}
}

// fetchKeysLog fetches issuer's keys-log checkpoint, verifies it (log key
// from the issuer's DID document, witness quorum, consistency with the
// one the Store holds, which it advances) and reads its latest entry,
// unless prev already holds that checkpoint's.
func (v *Verifier) fetchKeysLog(ctx context.Context, issuer string, prev *keysState, now time.Time) (*keysState, error) {
	res, err := v.cfg.Resolver.Resolve(ctx, issuer)
	if err != nil {
		if transient(err) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %w", ErrUntrustedIssuer, err)
	}
	if res == nil || res.Document == nil {
		return nil, fmt.Errorf("%w: no DID document for %.200s", ErrUntrustedIssuer, issuer)
	}
	u, err := tlog.LogURL(res.Document, tlog.KindKeys, v.cfg.Log.AllowHTTPLogs)
	if errors.Is(err, tlog.ErrNotFound) {
		return &keysState{fetched: now}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%w: keys log: %w", ErrUntrustedIssuer, err)
	}
	r, err := v.cfg.Log.Tiles.Get(ctx, u+"/checkpoint", "text/plain")
	if err != nil {
		if transient(err) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: fetching the keys-log checkpoint of %.200s: %w", ErrUntrustedIssuer, issuer, err)
	}
	if r.StatusCode != 200 {
		return nil, fmt.Errorf("%w: fetching the keys-log checkpoint of %.200s: %s", ErrUntrustedIssuer, issuer, r.Status)
	}
	if len(r.Body) == 0 || len(r.Body) > tlog.MaxCheckpointSize {
		return nil, fmt.Errorf("%w: keys-log checkpoint of %.200s empty or larger than %d bytes", ErrUntrustedIssuer, issuer, tlog.MaxCheckpointSize)
	}
	ac, err := v.openNote(ctx, issuer, tlog.KindKeys, r.Body)
	if err != nil {
		return nil, fmt.Errorf("keys log: %w", err)
	}
	ac.logURL = u
	cp := ac.cp
	if cp.Size == 0 {
		return nil, fmt.Errorf("%w: %w: the keys log of %.200s is empty", ErrUntrustedIssuer, ErrUnloggedKey, issuer)
	}
	if err := v.checkConsistency(ctx, issuer+keysLogStoreSuffix, ac); err != nil {
		return nil, fmt.Errorf("keys log: %w", err)
	}
	body := sha256.Sum256(cp.Body())
	if prev != nil && prev.doc != nil && prev.body == body {
		return &keysState{fetched: now, body: body, doc: prev.doc, res: prev.res}, nil
	}
	cl, err := tlog.NewClient(u, v.cfg.Log.Tiles, ac.policy, v.logc.tileCache(u))
	if err != nil {
		return nil, fmt.Errorf("%w: keys log: %w", ErrUntrustedIssuer, err)
	}
	es, err := cl.Entries(ctx, cp, cp.Size-1)
	if errors.Is(err, tlog.ErrMalformedTile) && v.logc.dropLogTiles(u) {
		// Cached tiles failed verification (a fork's, as in
		// proveConsistency): read again from fresh downloads, once.
		es, err = cl.Entries(ctx, cp, cp.Size-1)
		if errors.Is(err, tlog.ErrMalformedTile) {
			v.logc.dropLogTiles(u)
		}
	}
	if err != nil {
		if transient(err) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: the keys log of %.200s: %w", ErrUntrustedIssuer, issuer, err)
	}
	if len(es) != 1 {
		return nil, fmt.Errorf("%w: the keys log of %.200s: %d entries read, want 1", ErrUntrustedIssuer, issuer, len(es))
	}
	doc, err := tlog.ParseDocumentEntry(es[0])
	if err != nil {
		return nil, fmt.Errorf("%w: the latest keys-log entry of %.200s: %w", ErrUntrustedIssuer, issuer, err)
	}
	if doc.ID != issuer {
		return nil, fmt.Errorf("%w: the latest keys-log entry of %.200s is the DID document of %.200s", ErrUntrustedIssuer, issuer, doc.ID)
	}
	sr, err := did.NewStaticResolver(doc)
	if err != nil {
		return nil, fmt.Errorf("%w: the latest keys-log entry of %.200s: %w", ErrUntrustedIssuer, issuer, err)
	}
	return &keysState{fetched: now, body: body, doc: doc, res: sr}, nil
}
