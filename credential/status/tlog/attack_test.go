package tlog_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/zkcred/zkcred/credential/status/tlog"
)

// crlfWitness answers add-checkpoint like the honest witness h, but puts
// a carriage return before the newline of its cosignature line. Go's
// base64 decoder skips '\r' even in Strict mode, so the line decodes to
// the honest, valid cosignature while its text is not the canonical
// encoding the checkpoint parser insists on.
func crlfWitness(h http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		for k, v := range rec.Header() {
			rw.Header()[k] = v
		}
		rw.WriteHeader(rec.Code)
		body := rec.Body.Bytes()
		if rec.Code == http.StatusOK {
			body = bytes.ReplaceAll(body, []byte("\n"), []byte("\r\n"))
		}
		rw.Write(body)
	})
}

// TestHostileWitnessCRLFCosignature: one witness (of two) answers with a
// valid cosignature in a non-canonical line ("...=\r\n", or a '\r' inside
// the base64). The writer used to accept the line, append it to the
// note, fail to parse its own assembled checkpoint and publish nothing,
// so any one witness could stop the agency's log. The line must be
// refused like any other bad cosignature: the checkpoint is published
// with the honest witness's cosignature and ErrWitness.
func TestHostileWitnessCRLFCosignature(t *testing.T) {
	f := newFixture(t, 2)
	srv := httptest.NewServer(crlfWitness(f.witnesses[1].Handler()))
	t.Cleanup(srv.Close)
	f.eps[1].URL = srv.URL + "/add-checkpoint"
	f.writer = f.open()
	before := f.writer.Size()
	f.now = f.now.Add(60e9)
	f.seq++
	insert(t, f, 42)
	cp, err := f.writer.AppendRevocations(ctx, []uint64{42}, tlog.IndexedRoot{Depth: testDepth, Root: f.tree.Root(), Sequence: f.seq})
	mustIs(t, err, tlog.ErrWitness)
	if cp == nil || cp.Size != before+1 || f.writer.Size() != before+1 {
		t.Fatalf("checkpoint not published: %v", err)
	}
	// What is served parses and carries the honest cosignature only.
	got, err := f.client(1).Latest(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got.Size != before+1 || len(got.Cosignatures) != 1 || got.Cosignatures[0].Witness != f.wkeys[0].Name() {
		t.Fatalf("served checkpoint: size %d, cosignatures %+v", got.Size, got.Cosignatures)
	}
}
