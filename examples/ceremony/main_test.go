package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"golang.org/x/crypto/blake2b"

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
		"pin, no ptau":    {"-ptau-b2sum", "00", "-beacon", "b", "-transcript", dir, "-out", dir},
	} {
		var out bytes.Buffer
		if err := run(args, &out); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestNewcomerMessages: missing flags are named, the default shape is the
// one the other programs use, and an existing key directory or transcript
// is not overwritten without -force.
func TestNewcomerMessages(t *testing.T) {
	var out bytes.Buffer
	err := run(nil, &out)
	for _, want := range []string{"-beacon TEXT", "-transcript DIR", "-out DIR"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("no arguments: %v, want it to name %s", err, want)
		}
	}
	if shape, err := zkp.ParseShape(defaultShape); err != nil || shape != zkp.DefaultShape() {
		t.Errorf("default -shape %q is %v (%v), want zkp.DefaultShape()", defaultShape, shape, err)
	}
	dir := t.TempDir()
	keys := filepath.Join(dir, "keys")
	if err := os.MkdirAll(keys, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(keys, "groth16.vk"), []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	err = run([]string{"-shape", "tiny", "-beacon", "b", "-transcript", filepath.Join(dir, "t"), "-out", keys}, &out)
	if err == nil || !strings.Contains(err.Error(), "add -force") {
		t.Errorf("existing -out: %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(keys, "groth16.vk")); string(b) != "old" {
		t.Error("existing key file changed")
	}
	tr := filepath.Join(dir, "t2")
	os.MkdirAll(tr, 0o755)
	os.WriteFile(filepath.Join(tr, "phase1-001.bin"), []byte("old"), 0o644)
	err = run([]string{"-shape", "tiny", "-beacon", "b", "-transcript", tr, "-out", filepath.Join(dir, "new")}, &out)
	if err == nil || !strings.Contains(err.Error(), "add -force") {
		t.Errorf("existing transcript: %v", err)
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
	proveWithKeys(t, keysDir, out.String())
	if _, err := os.Stat(filepath.Join(dir, "t", "phase1-sealed.bin")); err != nil {
		t.Error(err)
	}
}

// proveWithKeys loads the keys a ceremony wrote, checks they are the ones
// its output names, and proves "born on or before the cutoff" with them: the
// proof verifies, and not for another request.
func proveWithKeys(t *testing.T, keysDir, out string) {
	t.Helper()
	keys, err := zkp.LoadKeys(keysDir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if keys.VerifyingKey.Shape() != tinyShape || !strings.Contains(out, keys.VerifyingKey.Fingerprint().String()) {
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
}

// ptauInterop is the power-14 snarkjs file zkp's TestPtauSnarkjsKeys makes
// and caches (zkp/testdata/ptau/README.md).
const ptauInterop = "../../zkp/testdata/ptau/out/pot14_0002.ptau"

// TestCeremonyFromPtau runs phase 2 only, from a snarkjs .ptau file: a file
// too small for the circuit and a malformed pin are errors; with
// ZKCRED_CEREMONY=1 and the power-14 file of zkp's interop test, a
// one-contributor phase 2 with the file's hash pinned gives keys that prove.
func TestCeremonyFromPtau(t *testing.T) {
	dir := t.TempDir()
	args := func(ptau, pin string) []string {
		a := []string{"-shape", "tiny", "-contributors", "1", "-beacon", "test beacon", "-transcript", filepath.Join(dir, "t"), "-out", filepath.Join(dir, "keys"), "-ptau", ptau}
		if pin != "" {
			a = append(a, "-ptau-b2sum", pin)
		}
		return a
	}
	var out bytes.Buffer
	err := run(args("../../zkp/testdata/ptau/pot3_0002.ptau", ""), &out)
	if err == nil || !strings.Contains(err.Error(), "of a file of power 3") {
		t.Fatalf("power-3 ptau for a 2^13 domain: %v", err)
	}
	if err := run(args("../../zkp/testdata/ptau/pot3_0002.ptau", "not hex"), &out); err == nil || !strings.Contains(err.Error(), "-ptau-b2sum") {
		t.Fatalf("bad pin: %v", err)
	}
	if os.Getenv("ZKCRED_CEREMONY") == "" {
		t.Skip("set ZKCRED_CEREMONY=1 to run phase 2 from a snarkjs ptau (about a minute on 2 cores)")
	}
	b, err := os.ReadFile(ptauInterop)
	if err != nil {
		t.Skip("no snarkjs ptau of power 14: run zkp's TestPtauSnarkjsKeys first (needs npm ci in zkp/testdata/ptau)")
	}
	h := blake2b.Sum512(b)
	pin := hex.EncodeToString(h[:])
	out.Reset()
	if err := run(args(ptauInterop, pin), &out); err != nil {
		t.Fatalf("ceremony from ptau: %v\n%s", err, out.String())
	}
	for _, want := range []string{"phase 1: from pot14_0002.ptau: power 14, 2 contributions, blake2b " + pin, "phase 2: transcript verified and sealed"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if files, _ := filepath.Glob(filepath.Join(dir, "t", "phase1-[0-9]*.bin")); len(files) != 0 {
		t.Errorf("phase 1 contributions written: %v", files)
	}
	proveWithKeys(t, filepath.Join(dir, "keys"), out.String())
}
