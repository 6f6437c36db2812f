package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/consensys/gnark/logger"

	"github.com/zkcred/zkcred/credential/status/tlog"
	"github.com/zkcred/zkcred/verifier"
	"github.com/zkcred/zkcred/verifier/protocol"
	"github.com/zkcred/zkcred/verifier/protocol/openid4vp"
	"github.com/zkcred/zkcred/zkp"
)

// testShape is the smallest shape the story fits: the vote needs three
// predicates (one of them a set), a nullifier, and the schema's 7
// attributes need 7 slots.
var testShape = zkp.Shape{Slots: 8, Predicates: 3, SetPredicates: 1, SetDepth: 4, RevocationDepth: 6, Disclosure: true, Nullifier: true}

func TestMain(m *testing.M) {
	logger.Disable()
	os.Exit(m.Run())
}

// TestRun plays the story in-process with a small shape and checks each
// step's outcome, including the refusal each rejection step saw.
func TestRun(t *testing.T) {
	var out bytes.Buffer
	steps, err := run(t.Context(), &out, options{Backend: zkp.Groth16, Shape: testShape, CacheDir: t.TempDir()})
	if err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	invalid := []error{verifier.ErrInvalidProof}
	want := []struct {
		name string
		errs []error // nil: the step must succeed without error
	}{
		{"keys", nil},
		{"agency", nil},
		{"issue", nil},
		{"shop", nil},
		{"portal", nil},
		{"vote", nil},
		{"vote again", []error{verifier.ErrDuplicateNullifier}},
		{"forged nullifier", invalid},
		// A flipped bit usually breaks the point encoding before any pairing.
		{"tampered proof", []error{verifier.ErrInvalidProof, protocol.ErrMalformedPresentation}},
		{"forged ballot", invalid},
		{"replayed proof", invalid},
		{"revoke", nil},
		{"neighbour", nil},
		{"old root", []error{verifier.ErrStaleRoot}},
		{"no witness", []error{openid4vp.ErrNoCredential}},
		{"split view", []error{tlog.ErrNoQuorum}},
	}
	if len(steps) != len(want) {
		t.Fatalf("%d steps, want %d:\n%s", len(steps), len(want), out.String())
	}
	for i, w := range want {
		s := steps[i]
		if s.Name != w.name || !s.OK {
			t.Errorf("step %d: %q ok=%v, want %q ok: %s", i, s.Name, s.OK, w.name, s.Learned)
		}
		if w.errs == nil && s.Err != nil {
			t.Errorf("%s: unexpected error %v", s.Name, s.Err)
		}
		if w.errs != nil && !isAny(s.Err, w.errs) {
			t.Errorf("%s: error %v, want one of %v", s.Name, s.Err, w.errs)
		}
	}
	text := out.String()
	if n := strings.Count(text, "\nok   "); n != len(want) || strings.Contains(text, "FAIL") {
		t.Errorf("%d ok lines, want %d:\n%s", n, len(want), text)
	}
	// The verifiers learned no attribute value: the birth date and the
	// district appear nowhere, except the district in the policies.
	if strings.Contains(text, citizenValues["birthDate"].(string)) || strings.Contains(text, "disclosed") {
		t.Errorf("the output reveals attribute values:\n%s", text)
	}
	if !strings.Contains(text, "UnsafeSetup") || !strings.Contains(text, "DEV ONLY") {
		t.Errorf("the unsafe setup is not labelled:\n%s", text)
	}
}

// TestKeyCache: keys are generated and cached once, loaded afterwards,
// and a damaged cache entry is discarded and regenerated.
func TestKeyCache(t *testing.T) {
	shape := zkp.Shape{Slots: 1, Predicates: 1, RevocationDepth: 1}
	root := t.TempDir()
	dir := zkp.KeyDir(root, shape, zkp.Groth16)
	load := func(wantCached bool, wantDiscard bool) *keySource {
		t.Helper()
		src, err := loadOrSetup(root, shape, zkp.Groth16, nil)
		if err != nil {
			t.Fatal(err)
		}
		if src.Cached != wantCached || (src.Discard != "") != wantDiscard || src.SaveFail != nil || src.Dir != dir {
			t.Fatalf("cached=%v discard=%q saveFail=%v dir=%s; want cached=%v discard=%v",
				src.Cached, src.Discard, src.SaveFail, src.Dir, wantCached, wantDiscard)
		}
		return src
	}
	first := load(false, false)
	again := load(true, false)
	if again.Keys.VerifyingKey.Fingerprint() != first.Keys.VerifyingKey.Fingerprint() {
		t.Fatal("the cached keys have another fingerprint")
	}

	for name, damage := range map[string]func(t *testing.T){
		"flipped byte in the proving key": func(t *testing.T) {
			b := readFile(t, filepath.Join(dir, "pk.bin"))
			b[len(b)/2] ^= 0x40
			writeFile(t, filepath.Join(dir, "pk.bin"), b)
		},
		"truncated constraint system": func(t *testing.T) {
			b := readFile(t, filepath.Join(dir, "ccs.bin"))
			writeFile(t, filepath.Join(dir, "ccs.bin"), b[:len(b)/3])
		},
		"missing manifest (interrupted write)": func(t *testing.T) {
			if err := os.Remove(filepath.Join(dir, keyManifest)); err != nil {
				t.Fatal(err)
			}
		},
		"manifest names another verifying key": func(t *testing.T) {
			var m map[string]string
			if err := json.Unmarshal(readFile(t, filepath.Join(dir, keyManifest)), &m); err != nil {
				t.Fatal(err)
			}
			m["vk.bin"] = strings.Repeat("0", len(m["vk.bin"])) // files intact, key mismatch
			b, _ := json.Marshal(m)
			writeFile(t, filepath.Join(dir, keyManifest), b)
		},
		"manifest is not JSON": func(t *testing.T) {
			writeFile(t, filepath.Join(dir, keyManifest), []byte("{"))
		},
	} {
		t.Run(name, func(t *testing.T) {
			damage(t)
			load(false, true)
			load(true, false)
		})
	}

	// Without a cache directory nothing is written.
	src, err := loadOrSetup("", shape, zkp.Groth16, nil)
	if err != nil || src.Cached || src.Dir != "" {
		t.Fatalf("no cache: %+v %v", src, err)
	}
}

// TestFlags checks the command line's refusals in-process.
func TestFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-backend", "stark"},
		{"-cache", t.TempDir(), "-no-cache"},
		{"extra"},
		{"-unknown"},
	} {
		var stderr bytes.Buffer
		if err := mainErr(t.Context(), args, &bytes.Buffer{}, &stderr); err == nil || errors.Is(err, flag.ErrHelp) {
			t.Errorf("%q: err %v", args, err)
		}
	}
	var stderr bytes.Buffer
	if err := mainErr(t.Context(), []string{"-h"}, &bytes.Buffer{}, &stderr); !errors.Is(err, flag.ErrHelp) || !strings.Contains(stderr.String(), "usage: demo") {
		t.Errorf("-h: %v %q", err, stderr.String())
	}
}

// TestBuild builds the command and checks that it exits 1 with its usage
// on a bad flag (running the story itself is TestRun's job).
func TestBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	gotool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool on PATH")
	}
	bin := filepath.Join(t.TempDir(), "demo")
	if out, err := exec.Command(gotool, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	var stderr bytes.Buffer
	cmd := exec.Command(bin, "-backend", "stark")
	cmd.Stderr = &stderr
	err = cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("bad flag: %v", err)
	}
	if s := stderr.String(); !strings.Contains(s, "usage: demo") || !strings.Contains(s, `demo: error: unknown backend "stark"`) {
		t.Errorf("stderr: %s", s)
	}
}

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeFile(t *testing.T, name string, b []byte) {
	t.Helper()
	if err := os.WriteFile(name, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
