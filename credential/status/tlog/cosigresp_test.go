package tlog

import (
	"bytes"
	"crypto/ed25519"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/zkcred/zkcred/credential/status/tlog/internal/cosig"
)

// FuzzCosignatureResponse: whatever a witness answers to add-checkpoint,
// findCosignature never panics, and a line it accepts is a cosignature
// that, appended to the signed checkpoint, still parses (a witness must
// not be able to make the agency's checkpoint unpublishable) and counts
// for that witness in a Policy.
func FuzzCosignatureResponse(f *testing.F) {
	var seed [32]byte
	logPriv := ed25519.NewKeyFromSeed(seed[:])
	seed[0] = 1
	wPriv := ed25519.NewKeyFromSeed(seed[:])
	origin := "did:web:agency.example/keys"
	lk, err := NewLogKey(origin, logPriv.Public().(ed25519.PublicKey))
	if err != nil {
		f.Fatal(err)
	}
	wk, err := NewWitnessKey("witness.example", wPriv.Public().(ed25519.PublicKey))
	if err != nil {
		f.Fatal(err)
	}
	cp := &Checkpoint{Origin: origin, Kind: KindKeys, Hash: emptyTreeHash(), Time: time.Unix(1_800_000_000, 0).UTC()}
	signer := &noteSigner{name: origin, hash: noteKeyHash(origin, 0x01, lk.pub), key: logPriv}
	signed, err := note.Sign(&note.Note{Text: string(cp.Body())}, signer)
	if err != nil {
		f.Fatal(err)
	}
	good := cosig.Sign(wk.name, wPriv, 1_800_000_000, cp.Body())
	f.Add(good)
	f.Add(bytes.ReplaceAll(good, []byte("\n"), []byte("\r\n")))
	f.Add(append([]byte("— other.example AAAA\n"), good...))
	f.Add(good[:len(good)-2])
	p, err := NewPolicy(lk, []*WitnessKey{wk}, 1)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		line, err := findCosignature(body, wk, cp.Body())
		if err != nil {
			return
		}
		full := append(bytes.Clone(signed), line...)
		if _, _, err := parseNote(full); err != nil {
			t.Fatalf("accepted cosignature line %q makes the checkpoint unparsable: %v", line, err)
		}
		if c, err := p.Verify(full); err != nil || len(c.Cosignatures) != 1 {
			t.Fatalf("accepted cosignature line %q does not count for the witness: %v", line, err)
		}
	})
}
