package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/zkcred/zkcred/credential/status"
	"github.com/zkcred/zkcred/credential/status/tlog"
	"github.com/zkcred/zkcred/credential/status/tlog/witness"
	"github.com/zkcred/zkcred/did"
)

// The agency's public revocation log (credential/status/tlog): tiles, the
// subtree-root chunks and the checkpoint, served at https://agency.example
// /log/revocation/ (named in its DID document), each checkpoint cosigned by
// a witness at https://witness.example (an independent party in real life;
// here on the same in-process network).
const (
	witnessHost = "witness.example"
	logPath     = "/log/revocation"
)

// publicLog is the agency's side of the log.
type publicLog struct {
	writer  *tlog.Writer
	dir     string
	level   int
	witness *witness.Witness
	wstore  *witness.BoltStore
	serving atomic.Pointer[string] // the directory served at logPath
}

// addLogService names the log in the agency's DID document.
func addLogService(doc *did.Document) error {
	ep, err := json.Marshal("https://" + agencyHost + logPath)
	if err != nil {
		return err
	}
	doc.Service = append(doc.Service, did.Service{ID: doc.ID + "#revocation-log", Type: []string{tlog.RevocationLogService}, ServiceEndpoint: ep})
	return nil
}

// logHandler serves the log's directory (checkpoint, tiles, chunks).
func (a *agency) logHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		dir := a.log.serving.Load()
		if dir == nil {
			http.NotFound(w, r)
			return
		}
		http.StripPrefix(logPath+"/", http.FileServer(http.Dir(*dir))).ServeHTTP(w, r)
	})
}

// openLog starts the witness on the network and the agency's log writer,
// which publishes the empty log (and every change after, see publish).
func (a *agency) openLog(ctx context.Context, tmp string, n *network) error {
	origin, err := tlog.RevocationOrigin(a.DID)
	if err != nil {
		return err
	}
	logKey, err := tlog.NewLogKey(origin, a.issuer.JOSEKey.Public().(ed25519.PublicKey))
	if err != nil {
		return err
	}
	_, wpriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	if a.log.wstore, err = witness.OpenStore(filepath.Join(tmp, "witness.db")); err != nil {
		return err
	}
	if a.log.witness, err = witness.New(witness.Config{Name: witnessHost, Key: wpriv, Logs: []*tlog.LogKey{logKey}, Store: a.log.wstore}); err != nil {
		return err
	}
	n.handle(witnessHost, a.log.witness.Handler())
	a.log.dir = filepath.Join(tmp, "log")
	a.log.level = min(status.DefaultSubtreeLevel, a.registry.Root().Depth)
	a.log.writer, err = tlog.OpenWriter(ctx, tlog.WriterConfig{Dir: a.log.dir, Origin: origin, Kind: tlog.KindRevocation,
		Key: a.issuer.JOSEKey.(ed25519.PrivateKey), Depth: a.registry.Root().Depth, HTTP: n.client,
		Witnesses: []tlog.WitnessEndpoint{{Key: a.log.witness.Key(), URL: "https://" + witnessHost + "/add-checkpoint"}}})
	if err != nil {
		return err
	}
	a.log.serving.Store(&a.log.dir)
	return a.publish(ctx)
}

// publish appends what the registry revoked since the log's size: the
// subtree chunks first, then the checkpoint, cosigned by the witness.
func (a *agency) publish(ctx context.Context) error {
	snap := a.registry.Snapshot()
	tree, err := snap.Tree()
	if err != nil {
		return err
	}
	if err := tlog.WriteSubtrees(a.log.dir, tree, a.log.level); err != nil {
		return err
	}
	size := a.log.writer.Size()
	if int64(len(snap.IDs)) == size {
		return nil
	}
	_, err = a.log.writer.AppendRevocations(ctx, snap.IDs[size:], tlog.IndexedRoot{Depth: snap.Depth, Root: snap.Root, Sequence: snap.Sequence})
	return err
}

func (l *publicLog) close() {
	if l.wstore != nil {
		l.wstore.Close()
	}
}

// walletLog is the citizen's wallet's view of the agency's log
// (tlog.HolderSync): it accepts a checkpoint only with the agency's
// signature (its key from the DID document), the witness's cosignature and
// consistency with the one it holds.
func (d *demo) walletLog(ctx context.Context) (*tlog.HolderSync, error) {
	origin, err := tlog.RevocationOrigin(d.agency.DID)
	if err != nil {
		return nil, err
	}
	keys, doc, err := tlog.LogKeysFromDocument(ctx, d.resolver, d.agency.DID, origin)
	if err != nil {
		return nil, err
	}
	u, err := tlog.LogURL(doc, tlog.KindRevocation, false)
	if err != nil {
		return nil, err
	}
	p, err := tlog.NewPolicy(keys[0], []*tlog.WitnessKey{d.agency.log.witness.Key()}, 1)
	if err != nil {
		return nil, err
	}
	depth := d.agency.registry.Root().Depth
	return tlog.NewHolderSync(u, d.net.client, p, depth, min(status.DefaultSubtreeLevel, depth), nil, nil)
}

// splitView: the agency signs a second, different checkpoint of the size
// it published (another revoked id), as it would to single out one
// citizen. The witness refuses to cosign it, and the wallet, served that
// checkpoint, refuses it and keeps the one it holds.
func (d *demo) splitView(ctx context.Context) {
	start := time.Now()
	st := step{Name: "split view", Proven: "the agency signs a second checkpoint of the same size (another revoked id) to show one citizen"}
	err := func() error {
		real := d.agency.log.writer.Checkpoint()
		dir := filepath.Join(d.tmp, "fork")
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
		origin, _ := tlog.RevocationOrigin(d.agency.DID)
		fw, err := tlog.OpenWriter(ctx, tlog.WriterConfig{Dir: dir, Origin: origin, Kind: tlog.KindRevocation,
			Key: d.agency.issuer.JOSEKey.(ed25519.PrivateKey), Depth: real.Indexed.Depth, HTTP: d.net.client,
			Witnesses: []tlog.WitnessEndpoint{{Key: d.agency.log.witness.Key(), URL: "https://" + witnessHost + "/add-checkpoint"}}})
		if err != nil && !errors.Is(err, tlog.ErrWitness) {
			return err
		}
		tree, err := status.NewTree(real.Indexed.Depth, status.RevocationMax())
		if err != nil {
			return err
		}
		var ids []uint64
		for i := range real.Size {
			ids = append(ids, uint64(900000+i))
		}
		for _, id := range ids {
			if err := tree.Insert(fr.NewElement(id)); err != nil {
				return err
			}
		}
		fork, err := fw.AppendRevocations(ctx, ids, tlog.IndexedRoot{Depth: tree.Depth(), Root: tree.Root(), Sequence: real.Indexed.Sequence})
		var conflict *witness.ConflictError
		if !errors.As(err, &conflict) && !errors.Is(err, tlog.ErrWitness) {
			return fmt.Errorf("the witness cosigned the second checkpoint (%v)", err)
		}
		if fork == nil || len(fork.Cosignatures) != 0 {
			return errors.New("the second checkpoint has a cosignature")
		}
		// The agency serves it to the citizen's wallet.
		d.agency.log.serving.Store(&dir)
		defer d.agency.log.serving.Store(&d.agency.log.dir)
		held := d.wallet.Checkpoint()
		_, err = d.wallet.Sync(ctx)
		st.Err = err
		if !errors.Is(err, tlog.ErrNoQuorum) {
			return fmt.Errorf("the wallet accepted it (%v)", err)
		}
		if d.wallet.Checkpoint() != held {
			return errors.New("the wallet's checkpoint changed")
		}
		return nil
	}()
	st.Took = time.Since(start)
	if err != nil {
		st.Learned = err.Error()
	} else {
		st.OK = true
		st.Learned = "the witness refused to cosign it (it cosigned another state at that size); the wallet refused it for want of the witness's cosignature and kept its checkpoint, so no verifier ever sees it"
	}
	d.record(st)
}
