package main

import (
	"bytes"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/zkcred/zkcred/credential"
	"github.com/zkcred/zkcred/credential/status"
	"github.com/zkcred/zkcred/credential/zkhash"
	"github.com/zkcred/zkcred/zkp"
)

func TestCommandLine(t *testing.T) {
	dir := t.TempDir()
	for name, args := range map[string][]string{
		"no arguments":    nil,
		"no beacon":       {"-transcript", dir, "-out", dir},
		"no contributors": {"-contributors", "0", "-beacon", "b", "-transcript", dir, "-out", dir},
		"unknown shape":   {"-shape", "huge", "-beacon", "b", "-transcript", dir, "-out", dir},
		"unknown flag":    {"-frobnicate"},
		"stray argument":  {"-beacon", "b", "-transcript", dir, "-out", dir, "extra"},
	} {
		var out bytes.Buffer
		if err := run(args, &out); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestCeremony runs the program's main path, a two-contributor ceremony on
// the tiny shape, then proves and verifies with the keys it wrote: the
// ceremony's keys must work, and a proof for another request must not.
func TestCeremony(t *testing.T) {
	if testing.Short() {
		t.Skip("a ceremony takes tens of seconds on 2 cores")
	}
	dir := t.TempDir()
	keysDir := filepath.Join(dir, "keys")
	var out bytes.Buffer
	if err := run([]string{"-shape", "tiny", "-contributors", "2", "-beacon", "test beacon", "-transcript", filepath.Join(dir, "t"), "-out", keysDir}, &out); err != nil {
		t.Fatalf("ceremony: %v\n%s", err, out.String())
	}
	for _, want := range []string{"phase 1: transcript verified and sealed", "phase 2: transcript verified and sealed", "fingerprint"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	files, _ := filepath.Glob(filepath.Join(dir, "t", "phase?-[0-9][0-9][0-9].bin"))
	if len(files) != 4 {
		t.Errorf("transcript has %d contribution files, want 4", len(files))
	}
	keys, err := zkp.LoadKeys(keysDir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if keys.VerifyingKey.Shape() != tinyShape || !strings.Contains(out.String(), keys.VerifyingKey.Fingerprint().String()) {
		t.Fatalf("loaded key %v %s does not match the ceremony's output", keys.VerifyingKey.Shape(), keys.VerifyingKey.Fingerprint())
	}

	// Prove "born on or before the cutoff" with the ceremony's keys.
	schema, err := credential.NewSchema("test/age", 1, tinyShape.Slots, credential.Attribute{Name: "birthDate", Type: credential.TypeDate})
	if err != nil {
		t.Fatal(err)
	}
	zkKey, err := credential.GenerateZKKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	secret, err := credential.GenerateHolderSecret(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	slots, err := schema.Encode(map[string]any{"birthDate": "1990-05-17"})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	cred := zkp.Credential{SchemaID: schema.ID(), Slots: slots, RevocationID: 7, Expiry: uint64(now.AddDate(1, 0, 0).Unix())}
	sig, err := zkKey.Sign(zkhash.Message(cred.SchemaID, secret.Commitment(), cred.RevocationID, cred.Expiry, cred.Slots))
	if err != nil {
		t.Fatal(err)
	}
	cred.Signature = sig
	issuer := zkKey.Public()
	revoked, err := status.NewTree(tinyShape.RevocationDepth, status.RevocationMax())
	if err != nil {
		t.Fatal(err)
	}
	cutoff, err := credential.EncodeDate(now.AddDate(-18, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	st := zkp.Statement{
		Issuer: issuer, SchemaID: schema.ID(), Now: uint64(now.Unix()), RevocationRoot: revoked.Root(),
		RequestHash: zkhash.Bytes(zkhash.TagRequest, []byte("request 1")),
		Predicates:  []zkp.Predicate{{Slot: 0, Op: zkp.OpLe, A: fr.NewElement(cutoff)}},
	}
	w, err := revoked.NonMembership(fr.NewElement(cred.RevocationID))
	if err != nil {
		t.Fatal(err)
	}
	p, err := zkp.Prove(keys, &st, &zkp.Witness{Credential: cred, Secret: secret.Element(), Revocation: w})
	if err != nil {
		t.Fatal(err)
	}
	if err := zkp.Verify(keys.VerifyingKey, &st, p); err != nil {
		t.Fatalf("proof with ceremony keys rejected: %v", err)
	}
	st.RequestHash = zkhash.Bytes(zkhash.TagRequest, []byte("request 2"))
	if err := zkp.Verify(keys.VerifyingKey, &st, p); !errors.Is(err, zkp.ErrInvalidProof) {
		t.Fatalf("proof accepted for another request: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "t", "phase1-sealed.bin")); err != nil {
		t.Error(err)
	}
}
