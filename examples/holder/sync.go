package main

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/zkcred/zkcred/credential/status"
	"github.com/zkcred/zkcred/credential/status/tlog"
	"github.com/zkcred/zkcred/did"
	"github.com/zkcred/zkcred/did/strictjson"
)

// Wallet directory, the synced revocation logs (sync):
//
//	witnesses.json            {"version": "zkcred-wallet-witnesses-v1", "quorum": N,
//	                           "witnesses": ["<verifier key>", ...]}: whom the wallet
//	                           trusts to cosign checkpoints (sync -witness -quorum)
//	logs/<issuer>/checkpoint  the last checkpoint accepted (signed note, with cosignatures)
//	logs/<issuer>/ids         the revoked ids up to it, 8 bytes big-endian each, in log order
//	logs/<issuer>/witnesses.json  {"version": "zkcred-wallet-log-v1", "witnesses":
//	                           {"<credential id>": {"low", "next", "index", "siblings"}}}:
//	                           each credential's non-revocation witness against the
//	                           checkpoint's root (hex field elements), computed at sync
//
// <issuer> is the issuer DID with every byte outside [A-Za-z0-9.-] as '_'.
// present carries the checkpoint and proves with the stored witness: it
// fetches nothing from the agency, which so never learns when the holder
// presents.
const (
	witnessesVersion = "zkcred-wallet-witnesses-v1"
	logStateVersion  = "zkcred-wallet-log-v1"
)

type witnessConfig struct {
	Version   string   `json:"version"`
	Quorum    int      `json:"quorum"`
	Witnesses []string `json:"witnesses"`
}

type storedWitness struct {
	Low      string   `json:"low"`
	Next     string   `json:"next"`
	Index    uint64   `json:"index"`
	Siblings []string `json:"siblings"`
}

type logState struct {
	Version   string                   `json:"version"`
	Witnesses map[string]storedWitness `json:"witnesses"`
}

func safeName(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '-') {
			b[i] = '_'
		}
	}
	return string(b)
}

func (c *command) logDir(issuer string) string {
	return filepath.Join(c.wallet, "logs", safeName(issuer))
}

// witnessConfig reads witnesses.json, or writes it when flags give one.
func (c *command) witnessConfig(flagKeys []string, quorum int, stderr io.Writer) (*witnessConfig, []*tlog.WitnessKey, error) {
	path := filepath.Join(c.wallet, "witnesses.json")
	var wc witnessConfig
	if len(flagKeys) > 0 || quorum >= 0 {
		wc = witnessConfig{Version: witnessesVersion, Quorum: max(quorum, 0), Witnesses: flagKeys}
		if quorum < 0 {
			wc.Quorum = len(flagKeys) // default: all of them
		}
		b, _ := json.MarshalIndent(&wc, "", "  ")
		if err := os.WriteFile(path, append(b, '\n'), 0o600); err != nil {
			return nil, nil, err
		}
	} else if b, err := os.ReadFile(path); err == nil {
		if err := strictjson.Unmarshal(b, &wc); err != nil || wc.Version != witnessesVersion {
			return nil, nil, fmt.Errorf("%s: not a %s file (%v)", path, witnessesVersion, err)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, nil, err
	}
	var keys []*tlog.WitnessKey
	for _, v := range wc.Witnesses {
		k, err := tlog.ParseWitnessKey(v)
		if err != nil {
			return nil, nil, fmt.Errorf("witness key %q: %w", v, err)
		}
		keys = append(keys, k)
	}
	if wc.Quorum > len(keys) {
		return nil, nil, fmt.Errorf("quorum %d of %d witnesses", wc.Quorum, len(keys))
	}
	if wc.Quorum == 0 {
		fmt.Fprintln(stderr, "holder: WARNING: no witness quorum (sync -witness VKEY -quorum N): an agency could show this wallet a log of its own (a split view) without being caught")
	}
	return &wc, keys, nil
}

// sync brings every issuer's revocation log up to date, as the wallet
// decides (not when it presents): checkpoint verified with the issuer's
// log key and the witness quorum, consistency with the stored checkpoint
// proven from the tiles (a split view is refused and reported), only the
// missing tiles and subtree chunks fetched, and each credential's
// non-revocation witness computed and stored.
func (c *command) sync(ctx context.Context, flagKeys []string, quorum int, stdout, stderr io.Writer) error {
	wc, wkeys, err := c.witnessConfig(flagKeys, quorum, stderr)
	if err != nil {
		return err
	}
	es, err := c.entries()
	if err != nil {
		return err
	}
	res, err := c.resolver()
	if err != nil {
		return err
	}
	cl, err := c.httpClient()
	if err != nil {
		return err
	}
	byIssuer := map[string][]*entry{}
	for _, e := range es {
		byIssuer[e.Stored.Issuer] = append(byIssuer[e.Stored.Issuer], e)
	}
	var failed []error
	for _, issuer := range slices.Sorted(func(yield func(string) bool) {
		for k := range byIssuer {
			if !yield(k) {
				return
			}
		}
	}) {
		if err := c.syncIssuer(ctx, res, cl, issuer, byIssuer[issuer], wkeys, wc.Quorum, stdout); err != nil {
			if errors.Is(err, tlog.ErrSplitView) || errors.Is(err, tlog.ErrInconsistent) {
				err = fmt.Errorf("%w\n  the agency %s showed this wallet a log that contradicts the one it showed before (a split view: it may be trying to tell its holders apart); the stored checkpoint is kept as evidence in %s", err, issuer, c.logDir(issuer))
			}
			failed = append(failed, fmt.Errorf("%s: %w", issuer, err))
		}
	}
	return errors.Join(failed...)
}

func (c *command) syncIssuer(ctx context.Context, res did.Resolver, cl tlog.Getter, issuer string, es []*entry, wkeys []*tlog.WitnessKey, quorum int, stdout io.Writer) error {
	origin, err := tlog.RevocationOrigin(issuer)
	if err != nil {
		return err
	}
	keys, doc, err := tlog.LogKeysFromDocument(ctx, res, issuer, origin)
	if err != nil {
		return err
	}
	base, err := tlog.LogURL(doc, tlog.KindRevocation, c.insecureLocal)
	if err != nil {
		return err
	}
	dir := c.logDir(issuer)
	note, ids, err := readLogState(dir)
	if err != nil {
		return err
	}
	depth, err := logDepth(ctx, cl, base, note)
	if err != nil {
		return err
	}
	var hs *tlog.HolderSync
	var cp *tlog.Checkpoint
	for _, k := range keys {
		policy, err := tlog.NewPolicy(k, wkeys, quorum)
		if err != nil {
			return err
		}
		h, err := tlog.NewHolderSync(base, cl, policy, depth, min(status.DefaultSubtreeLevel, depth), note, ids)
		if err != nil {
			return err
		}
		cp, err = h.Sync(ctx)
		if errors.Is(err, tlog.ErrBadSignature) {
			continue
		}
		if err != nil {
			return err
		}
		hs = h
		break
	}
	if hs == nil {
		return fmt.Errorf("%w: no key of %s signs its revocation log", tlog.ErrBadSignature, issuer)
	}
	st := logState{Version: logStateVersion, Witnesses: map[string]storedWitness{}}
	for _, e := range es {
		w, err := hs.Witness(e.Stored.RevocationID)
		switch {
		case errors.Is(err, status.ErrRevoked):
			fmt.Fprintf(stdout, "  credential %s is REVOKED\n", e.ID)
			continue
		case err != nil:
			return fmt.Errorf("credential %s: %w", e.ID, err)
		}
		sw := storedWitness{Low: hexField(w.LowValue), Next: hexField(w.LowNext), Index: w.Index}
		for _, s := range w.Siblings {
			sw.Siblings = append(sw.Siblings, hexField(s))
		}
		st.Witnesses[e.ID] = sw
	}
	if err := writeLogState(dir, cp.Note, hs.IDs(), &st); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: checkpoint of %d revocations (sequence %d, %s), cosigned by %d witness(es); %d bytes downloaded\n",
		issuer, cp.Size, cp.Indexed.Sequence, cp.Time.Format("2006-01-02 15:04:05Z"), len(cp.Cosignatures), hs.BytesDownloaded())
	return nil
}

// logDepth returns the depth of the issuer's tree: from the stored
// checkpoint, or the published one (not yet verified: Sync verifies it
// and refuses one of another depth).
func logDepth(ctx context.Context, cl tlog.Getter, base string, note []byte) (int, error) {
	if note == nil {
		r, err := cl.Get(ctx, base+"/checkpoint", "")
		if err != nil {
			return 0, err
		}
		if r.StatusCode != 200 {
			return 0, fmt.Errorf("%w: %s/checkpoint: %s", tlog.ErrNotFound, base, r.Status)
		}
		note = r.Body
	}
	cp, err := tlog.ParseCheckpoint(note)
	if err != nil {
		return 0, err
	}
	if cp.Kind != tlog.KindRevocation {
		return 0, fmt.Errorf("%w: not a revocation log", tlog.ErrMalformedCheckpoint)
	}
	return cp.Indexed.Depth, nil
}

func hexField(e fr.Element) string { b := e.Bytes(); return hex.EncodeToString(b[:]) }

func parseField(s string) (fr.Element, error) {
	var e fr.Element
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != fr.Bytes {
		return e, fmt.Errorf("not 32 bytes of hex")
	}
	return e, e.SetBytesCanonical(b)
}

// maxWalletIDs bounds the ids file the wallet reads back (2^27 ids).
const maxWalletIDs = 1 << 27

func readLogState(dir string) ([]byte, []uint64, error) {
	note, err := os.ReadFile(filepath.Join(dir, "checkpoint"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	f, err := os.Open(filepath.Join(dir, "ids"))
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	if fi.Size()%8 != 0 || fi.Size()/8 > maxWalletIDs {
		return nil, nil, fmt.Errorf("%s: not a list of 8-byte ids", f.Name())
	}
	b := make([]byte, fi.Size())
	if _, err := io.ReadFull(f, b); err != nil {
		return nil, nil, err
	}
	ids := make([]uint64, len(b)/8)
	for i := range ids {
		ids[i] = binary.BigEndian.Uint64(b[8*i:])
	}
	return note, ids, nil
}

// writeLogState writes the three files, the checkpoint last (each through
// a temporary file and a rename), so a crash leaves ids that match the
// checkpoint or a new ids file with the old checkpoint, which the next sync
// detects (sizes differ) and starts over from.
func writeLogState(dir string, note []byte, ids []uint64, st *logState) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	b := make([]byte, 0, 8*len(ids))
	for _, id := range ids {
		b = binary.BigEndian.AppendUint64(b, id)
	}
	js, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		data []byte
	}{{"ids", b}, {"witnesses.json", js}, {"checkpoint", note}} {
		tmp := filepath.Join(dir, f.name+".tmp")
		if err := os.WriteFile(tmp, f.data, 0o600); err != nil {
			return err
		}
		if err := os.Rename(tmp, filepath.Join(dir, f.name)); err != nil {
			return err
		}
	}
	return nil
}

// syncedHolding returns, for a credential of the wallet, the checkpoint
// and non-revocation witness the last sync stored, or nil if there are
// none (not synced, or revoked at the last sync).
func (c *command) syncedHolding(e *entry) ([]byte, *status.Witness, error) {
	dir := c.logDir(e.Stored.Issuer)
	note, err := os.ReadFile(filepath.Join(dir, "checkpoint"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	b, err := os.ReadFile(filepath.Join(dir, "witnesses.json"))
	if err != nil {
		return nil, nil, err
	}
	var st logState
	if err := strictjson.Unmarshal(b, &st); err != nil || st.Version != logStateVersion {
		return nil, nil, fmt.Errorf("%s: not a %s file (%v)", dir, logStateVersion, err)
	}
	sw, ok := st.Witnesses[e.ID]
	if !ok {
		return nil, nil, nil
	}
	if len(sw.Siblings) > status.MaxDepth {
		return nil, nil, fmt.Errorf("%s: witness of %s too long", dir, e.ID)
	}
	w := &status.Witness{Index: sw.Index}
	if w.LowValue, err = parseField(sw.Low); err == nil {
		w.LowNext, err = parseField(sw.Next)
	}
	for _, s := range sw.Siblings {
		if err != nil {
			break
		}
		var f fr.Element
		f, err = parseField(s)
		w.Siblings = append(w.Siblings, f)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("%s: witness of %s: %v", dir, e.ID, err)
	}
	return note, w, nil
}
