package main

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/zkcred/zkcred/credential/status"
	"github.com/zkcred/zkcred/credential/status/registry"
	"github.com/zkcred/zkcred/credential/status/tlog"
	"github.com/zkcred/zkcred/did"
	"github.com/zkcred/zkcred/did/fetch"
)

// The agency's public logs (credential/status/tlog), in DATA/log/<DID>
// (the DID with every byte outside [A-Za-z0-9.-] as '_': a log is one
// DID's, and an issuer started under another -domain is another DID):
//
//	revocation/   the revocation log: checkpoint, tile/..., and the
//	              subtree-root chunks subtrees/<n>/<j> holders compute
//	              their witnesses from
//	keys/         the keys log: every version of the DID document
//	keys.last     the DID document last appended to the keys log
//
// served as static files under /log/ and named in the DID document
// (services ZKCredRevocationLog and ZKCredKeysLog). Checkpoints are signed
// with the agency's Ed25519 key (the JOSE key in assertionMethod) and sent
// to the -witness witnesses for cosignatures.

// subtreeLevel is the level of the published subtree roots.
func subtreeLevel(depth int) int { return min(status.DefaultSubtreeLevel, depth) }

type publicLog struct {
	dir    string
	rev    *tlog.Writer
	keys   *tlog.Writer
	level  int
	logger *slog.Logger
	mu     sync.Mutex // serializes publish
}

// addLogServices names the agency's logs in its DID document.
func addLogServices(doc *did.Document, baseURL string) error {
	for _, s := range []struct{ typ, path string }{
		{tlog.RevocationLogService, "/log/revocation"},
		{tlog.KeysLogService, "/log/keys"},
	} {
		ep, err := json.Marshal(baseURL + s.path)
		if err != nil {
			return err
		}
		doc.Service = append(doc.Service, did.Service{ID: doc.ID + "#" + strings.ToLower(s.typ), Type: []string{s.typ}, ServiceEndpoint: ep})
	}
	return nil
}

// parseWitnesses reads -witness values "VKEY@URL": the witness's
// verifier key (as examples/witness prints it) and its add-checkpoint URL.
func parseWitnesses(vals []string) ([]tlog.WitnessEndpoint, error) {
	var out []tlog.WitnessEndpoint
	for _, v := range vals {
		vkey, u, ok := strings.Cut(v, "@")
		if !ok {
			return nil, fmt.Errorf("-witness %q: want VKEY@URL (the witness's key and its add-checkpoint URL)", v)
		}
		k, err := tlog.ParseWitnessKey(vkey)
		if err != nil {
			return nil, fmt.Errorf("-witness %q: %w", v, err)
		}
		out = append(out, tlog.WitnessEndpoint{Key: k, URL: u})
	}
	return out, nil
}

// openPublicLog opens (or creates) the logs in data/log and brings them up
// to date with the registry and the DID document.
func openPublicLog(ctx context.Context, a *agency, data string, key crypto.Signer, witnesses []tlog.WitnessEndpoint, insecureHTTP bool) (*publicLog, error) {
	safe := []byte(a.did)
	for i, c := range safe {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '-') {
			safe[i] = '_'
		}
	}
	dir := filepath.Join(data, "log", string(safe))
	var poster tlog.Poster
	if len(witnesses) > 0 {
		fc, err := fetch.New(&fetch.Config{InsecureAllowHTTP: insecureHTTP, InsecureAllowPrivateAddresses: insecureHTTP})
		if err != nil {
			return nil, err
		}
		poster = fc
	}
	origin, err := tlog.RevocationOrigin(a.did)
	if err != nil {
		return nil, err
	}
	depth := a.reg.Root().Depth
	p := &publicLog{dir: dir, level: subtreeLevel(depth), logger: a.logger}
	p.rev, err = tlog.OpenWriter(ctx, tlog.WriterConfig{Dir: filepath.Join(dir, "revocation"), Origin: origin, Kind: tlog.KindRevocation,
		Key: key, Depth: depth, Witnesses: witnesses, HTTP: poster})
	if err != nil && !errors.Is(err, tlog.ErrWitness) {
		return nil, fmt.Errorf("revocation log: %w", err)
	}
	keysOrigin, err := tlog.KeysOrigin(a.did)
	if err != nil {
		return nil, err
	}
	p.keys, err = tlog.OpenWriter(ctx, tlog.WriterConfig{Dir: filepath.Join(dir, "keys"), Origin: keysOrigin, Kind: tlog.KindKeys,
		Key: key, Witnesses: witnesses, HTTP: poster})
	if err != nil && !errors.Is(err, tlog.ErrWitness) {
		return nil, fmt.Errorf("keys log: %w", err)
	}
	// The witnesses' -log flags take these keys.
	a.logger.Info("issuer: public logs", "revocation_log_key", p.rev.LogKey().String(), "keys_log_key", p.keys.LogKey().String(),
		"url", strings.TrimSuffix(a.baseURL, "/")+"/log/", "witnesses", len(witnesses))
	if err := p.publishDocument(ctx, a.doc); err != nil {
		return nil, err
	}
	if err := p.publish(ctx, a.reg); err != nil {
		return nil, err
	}
	// A witness added since the last checkpoint cosigns it now, not at
	// the next change or refresh.
	for _, w := range []*tlog.Writer{p.rev, p.keys} {
		if len(witnesses) > 0 && len(w.Checkpoint().Cosignatures) < len(witnesses) {
			if _, err := w.Refresh(ctx); errors.Is(err, tlog.ErrWitness) {
				a.logger.Warn("issuer: a log's checkpoint was published without every witness", "err", err)
			} else if err != nil {
				return nil, err
			}
		}
	}
	return p, nil
}

// publishDocument appends the DID document to the keys log if it differs
// from the version last appended.
func (p *publicLog) publishDocument(ctx context.Context, doc *did.Document) error {
	b, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	last := filepath.Join(p.dir, "keys.last")
	if prev, err := os.ReadFile(last); err == nil && bytes.Equal(prev, b) && p.keys.Size() > 0 {
		return nil
	}
	if _, err := p.keys.AppendDocument(ctx, b); err != nil && !errors.Is(err, tlog.ErrWitness) {
		return fmt.Errorf("keys log: %w", err)
	} else if err != nil {
		p.logger.Warn("issuer: keys log published without every witness", "err", err)
	}
	return os.WriteFile(last, b, 0o644)
}

// publish appends the ids the registry revoked since the log's size, with
// the subtree-root chunks of the new tree (written first, so a holder
// that reads the new checkpoint finds them), and asks the witnesses to
// cosign. An unchanged registry publishes nothing.
func (p *publicLog) publish(ctx context.Context, reg *registry.Registry) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	snap := reg.Snapshot()
	size := p.rev.Size()
	if int64(len(snap.IDs)) < size {
		return fmt.Errorf("revocation log: the log holds %d ids, the registry %d: wrong -data or registry", size, len(snap.IDs))
	}
	revDir := filepath.Join(p.dir, "revocation")
	_, statErr := os.Stat(filepath.Join(revDir, filepath.FromSlash(tlog.SubtreePath(size, 0))))
	if int64(len(snap.IDs)) == size && statErr == nil {
		return nil // (a same-size checkpoint of another sequence would be a split view)
	}
	tree, err := snap.Tree()
	if err != nil {
		return err
	}
	if err := tlog.WriteSubtrees(revDir, tree, p.level); err != nil {
		return err
	}
	if int64(len(snap.IDs)) == size {
		return nil // the chunks of the published size were missing (a new log)
	}
	_, err = p.rev.AppendRevocations(ctx, snap.IDs[size:], tlog.IndexedRoot{Depth: snap.Depth, Root: snap.Root, Sequence: snap.Sequence})
	if errors.Is(err, tlog.ErrWitness) {
		p.logger.Warn("issuer: revocation checkpoint published without every witness", "err", err)
		return nil
	}
	return err
}

// refresh publishes what changed, or re-signs the unchanged checkpoint so
// that holders and verifiers see it is current (witnesses cosign again).
func (p *publicLog) refresh(ctx context.Context, reg *registry.Registry) error {
	before := p.rev.Size()
	if err := p.publish(ctx, reg); err != nil {
		return err
	}
	if p.rev.Size() != before {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	_, err := p.rev.Refresh(ctx)
	if errors.Is(err, tlog.ErrWitness) {
		p.logger.Warn("issuer: revocation checkpoint refreshed without every witness", "err", err)
		return nil
	}
	return err
}

// handler serves DATA/log under /log/: checkpoints are never cached,
// everything else (tiles, entry bundles, subtree chunks) is immutable.
func (p *publicLog) handler() http.Handler {
	files := http.StripPrefix("/log/", http.FileServer(http.Dir(p.dir)))
	// A refusal is JSON, as every other answer of the agency's handler
	// (not http.FileServer's plain text), and is not logged: holders ask
	// for files that do not exist yet.
	notFound := func(w http.ResponseWriter) {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such file in the public logs"})
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rest := strings.TrimPrefix(r.URL.Path, "/log/")
		// r.URL.Path is decoded: "..%2f" and "%2e%2e" reach here as ".."
		// segments that ServeMux did not clean, and the file server would
		// resolve them (tile/../../keys.last). Only clean paths with no
		// segment starting with "." (no "..", no ".tmp-*" files being
		// written) are served.
		if path.Clean("/"+rest) != "/"+rest || strings.HasPrefix(rest, ".") || strings.Contains(rest, "/.") {
			notFound(w)
			return
		}
		switch {
		case rest == "revocation/checkpoint" || rest == "keys/checkpoint":
			w.Header().Set("Cache-Control", "no-cache")
		case strings.HasPrefix(rest, "revocation/tile/") || strings.HasPrefix(rest, "keys/tile/") ||
			strings.HasPrefix(rest, "revocation/"+tlog.SubtreesDir+"/"):
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		default: // no directory listings, no keys.last
			notFound(w)
			return
		}
		if strings.HasSuffix(rest, ".tmp") { // a subtree chunk being written
			notFound(w)
			return
		}
		if fi, err := os.Stat(filepath.Join(p.dir, filepath.FromSlash(rest))); err != nil || !fi.Mode().IsRegular() {
			notFound(w) // a directory (no listing, no redirect) or no such file
			return
		}
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Access-Control-Allow-Origin", "*") // browser wallets sync too
		if strings.HasSuffix(rest, "/checkpoint") {
			// Validated by its content, not its time: a checkpoint
			// rewritten within the second it was fetched (a revocation,
			// then a refresh) keeps its Last-Modified, and a browser
			// revalidating its copy would be told 304 and keep the old one.
			b, err := readFileLimit(filepath.Join(p.dir, filepath.FromSlash(rest)), tlog.MaxCheckpointSize)
			if err != nil {
				notFound(w)
				return
			}
			sum := sha256.Sum256(b)
			w.Header().Set("ETag", `"`+hex.EncodeToString(sum[:16])+`"`)
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(b))
			return
		}
		files.ServeHTTP(w, r)
	})
}

// readFileLimit reads a file of at most limit bytes.
func readFileLimit(name string, limit int64) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s: more than %d bytes", name, limit)
	}
	return b, nil
}
