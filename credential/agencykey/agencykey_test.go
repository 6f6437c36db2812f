package agencykey

import (
	"bytes"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
	"filippo.io/age/armor"
)

// lowScrypt returns a passphrase recipient with a small work factor, so
// that tests do not spend a second and 256 MiB per file; the identity is
// the one Passphrase returns.
func lowScrypt(t testing.TB, pass string) (age.Recipient, age.Identity) {
	t.Helper()
	r, err := age.NewScryptRecipient(pass)
	if err != nil {
		t.Fatal(err)
	}
	r.SetWorkFactor(10)
	_, id, err := Passphrase(pass)
	if err != nil {
		t.Fatal(err)
	}
	return r, id
}

func newKeys(t testing.TB) *Keys {
	t.Helper()
	k, err := Generate(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func sameKeys(a, b *Keys) bool {
	return bytes.Equal(a.JOSE, b.JOSE) && a.ZK.Equal(b.ZK)
}

// TestPassphrase: Passphrase's recipient encrypts at work factor 2^18 (one
// scrypt at full cost: about a second and 256 MiB), its identity opens a
// file of that passphrase, and another passphrase is ErrWrongKey.
func TestPassphrase(t *testing.T) {
	k := newKeys(t)
	r, _, err := Passphrase("correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	file, err := k.Encrypt(r)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(file, []byte(" 18\n")) {
		t.Fatalf("no work factor 18 in the header:\n%q", file)
	}
	// Opening at full cost again would add nothing: the identity opens a
	// cheaper file of the same passphrase.
	low, id := lowScrypt(t, "correct horse battery staple")
	file, err = k.Encrypt(low)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decrypt(file, id)
	if err != nil || !sameKeys(k, got) {
		t.Fatalf("round trip: %v", err)
	}
	_, wrong := lowScrypt(t, "incorrect horse battery staple")
	if _, err := Decrypt(file, wrong); !errors.Is(err, ErrWrongKey) {
		t.Errorf("wrong passphrase: %v, want ErrWrongKey", err)
	}
	if _, _, err := Passphrase(""); !errors.Is(err, ErrNoKey) {
		t.Errorf("empty passphrase: %v", err)
	}
}

// TestWorkFactorCap: a file asking for more scrypt work than
// ScryptWorkFactor is refused before the work is done.
func TestWorkFactorCap(t *testing.T) {
	// 2^26 would be 64 GiB: wrapping at it would itself take the memory,
	// so build the stanza at a low factor and raise the number in the
	// header instead.
	low, id := lowScrypt(t, "pass")
	file, err := newKeys(t).Encrypt(low)
	if err != nil {
		t.Fatal(err)
	}
	hi := bytes.Replace(file, []byte(" 10\n"), []byte(" 26\n"), 1)
	if bytes.Equal(hi, file) {
		t.Fatal("test setup: no work factor in the header")
	}
	if _, err := Decrypt(hi, id); err == nil || !strings.Contains(err.Error(), "work factor") {
		t.Errorf("work factor 26: %v", err)
	}
}

// TestIdentity: an X25519 identity file (age-keygen's format) round
// trips; another identity and a passphrase are ErrWrongKey.
func TestIdentity(t *testing.T) {
	idKey, _ := age.GenerateX25519Identity()
	r, id, err := ParseIdentity(strings.NewReader("# created: 2026-12-06T00:00:00Z\n# public key: " + idKey.Recipient().String() + "\n" + idKey.String() + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	k := newKeys(t)
	file, err := k.Encrypt(r)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := Decrypt(file, id); err != nil || !sameKeys(k, got) {
		t.Fatalf("round trip: %v", err)
	}
	other, _ := age.GenerateX25519Identity()
	if _, err := Decrypt(file, other); !errors.Is(err, ErrWrongKey) {
		t.Errorf("other identity: %v", err)
	}
	_, pass := lowScrypt(t, "pass")
	if _, err := Decrypt(file, pass); !errors.Is(err, ErrWrongKey) {
		t.Errorf("passphrase on an identity file: %v", err)
	}
	// Hybrid post-quantum identities work the same way.
	hy, _ := age.GenerateHybridIdentity()
	r, id, err = ParseIdentity(strings.NewReader(hy.String() + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	if file, err = k.Encrypt(r); err != nil {
		t.Fatal(err)
	}
	if got, err := Decrypt(file, id); err != nil || !sameKeys(k, got) {
		t.Fatalf("hybrid round trip: %v", err)
	}
	// Identity files that are refused, without echoing key material.
	for name, text := range map[string]string{
		"empty":          "",
		"comments only":  "# nothing\n",
		"two identities": idKey.String() + "\n" + other.String() + "\n",
		"not a key":      "AGE-SECRET-KEY-1NOTAKEY\n",
		"recipient":      idKey.Recipient().String() + "\n",
		"oversized":      strings.Repeat("#", maxIdentityFile+1),
	} {
		_, _, err := ParseIdentity(strings.NewReader(text))
		if !errors.Is(err, ErrNoKey) && !errors.Is(err, ErrTooLarge) {
			t.Errorf("%s: %v", name, err)
		}
		if err != nil && strings.Contains(err.Error(), "AGE-SECRET-KEY") {
			t.Errorf("%s: error shows key material: %v", name, err)
		}
	}
}

// TestRefused: files that must not open, each with its sentinel.
func TestRefused(t *testing.T) {
	r, id := lowScrypt(t, "pass")
	k := newKeys(t)
	file, err := k.Encrypt(r)
	if err != nil {
		t.Fatal(err)
	}
	flip := func(i int) []byte {
		b := bytes.Clone(file)
		b[i] ^= 1
		return b
	}
	for _, c := range []struct {
		name string
		file []byte
		want error
	}{
		// Plaintext where encrypted is expected: the older example format
		// and this package's own plaintext.
		{"plaintext issuer keys", []byte(`{"version":"zkcred-issuer-keys-v1","jose":"AAAA","zk":"AAAA"}`), ErrNotEncrypted},
		{"plaintext, leading space", []byte("\n {\"version\":\"zkcred-agency-keys-v1\"}"), ErrNotEncrypted},
		{"empty", nil, ErrNotEncrypted},
		{"random bytes", []byte("\x00\x01garbage"), ErrNotEncrypted},
		// Truncated: in the header, after the header, in the payload.
		{"header line only", file[:len("age-encryption.org/v1\n")], ErrMalformed},
		{"truncated header", file[:40], ErrMalformed},
		{"no payload", file[:bytes.Index(file, []byte("\n---"))+48], ErrMalformed},
		{"truncated payload", file[:len(file)-1], ErrMalformed},
		{"extra byte", append(bytes.Clone(file), 0), ErrMalformed},
		// Altered: the header MAC or the payload's tag catches it.
		{"altered payload", flip(len(file) - 5), ErrMalformed},
		{"altered MAC", flip(bytes.Index(file, []byte("\n---")) + 6), ErrMalformed},
		// Oversized, even with a valid header.
		{"oversized", append(bytes.Clone(file), make([]byte, MaxFileSize)...), ErrTooLarge},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := Decrypt(c.file, id)
			if !errors.Is(err, c.want) || got != nil {
				t.Errorf("Decrypt = %v, %v; want %v", got, err, c.want)
			}
		})
	}
	if _, err := Decrypt(file); !errors.Is(err, ErrNoKey) {
		t.Errorf("no identity: %v", err)
	}
	// The plaintext message says it is plaintext.
	if _, err := Decrypt([]byte(`{}`), id); err == nil || !strings.Contains(err.Error(), "plaintext") {
		t.Errorf("plaintext: %v", err)
	}
}

// TestArmor: an ASCII-armored file (age -a) opens too.
func TestArmor(t *testing.T) {
	r, id := lowScrypt(t, "pass")
	k := newKeys(t)
	file, _ := k.Encrypt(r)
	var buf bytes.Buffer
	w := armor.NewWriter(&buf)
	w.Write(file)
	w.Close()
	if got, err := Decrypt(buf.Bytes(), id); err != nil || !sameKeys(k, got) {
		t.Fatalf("armored: %v", err)
	}
}

// TestPlaintextDocument: the decrypted document is read strictly.
func TestPlaintextDocument(t *testing.T) {
	seed := "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=" // 32 bytes
	good := `{"version":"zkcred-agency-keys-v1","jose":"` + seed + `","zk":"` + seed + `"}`
	if _, err := parse([]byte(good)); err != nil {
		t.Fatalf("good document: %v", err)
	}
	if k, err := parse([]byte(`{"version":"zkcred-agency-keys-v1","zk":"` + seed + `"}`)); err != nil || k.JOSE != nil {
		t.Fatalf("document without jose: %v", err)
	}
	for name, doc := range map[string]string{
		// Structure.
		"unknown member":     `{"version":"zkcred-agency-keys-v1","jose":"` + seed + `","zk":"` + seed + `","x":1}`,
		"duplicate member":   `{"version":"zkcred-agency-keys-v1","zk":"` + seed + `","zk":"` + seed + `"}`,
		"case variant":       `{"version":"zkcred-agency-keys-v1","ZK":"` + seed + `"}`,
		"trailing data":      good + `{}`,
		"not an object":      `[]`,
		"missing zk":         `{"version":"zkcred-agency-keys-v1","jose":"` + seed + `"}`,
		"older version":      `{"version":"zkcred-issuer-keys-v1","jose":"` + seed + `","zk":"` + seed + `"}`,
		"no version":         `{"jose":"` + seed + `","zk":"` + seed + `"}`,
		"unpadded base64":    `{"version":"zkcred-agency-keys-v1","zk":"` + strings.TrimSuffix(seed, "=") + `"}`,
		"base64url":          `{"version":"zkcred-agency-keys-v1","zk":"` + strings.Repeat("_", 42) + `8="}`,
		"non-canonical bits": `{"version":"zkcred-agency-keys-v1","zk":"` + strings.Replace(seed, "8=", "9=", 1) + `"}`,
		"short seed":         `{"version":"zkcred-agency-keys-v1","zk":"AAAA"}`,
		"long seed":          `{"version":"zkcred-agency-keys-v1","zk":"` + seed + `AAAA"}`,
		"jose short":         `{"version":"zkcred-agency-keys-v1","jose":"AAAA","zk":"` + seed + `"}`,
	} {
		if k, err := parse([]byte(doc)); !errors.Is(err, ErrMalformed) || k != nil {
			t.Errorf("%s: %v, %v", name, k, err)
		}
	}
}

// TestCreateOpen: Create writes a new 0600 file and never overwrites one;
// Open reads it back.
func TestCreateOpen(t *testing.T) {
	r, id := lowScrypt(t, "pass")
	name := filepath.Join(t.TempDir(), "keys.age")
	k := newKeys(t)
	if err := Create(name, k, r); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(name); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode: %v %v", fi.Mode(), err)
	}
	if err := Create(name, newKeys(t), r); !errors.Is(err, os.ErrExist) {
		t.Errorf("overwrite: %v", err)
	}
	got, err := Open(name, id)
	if err != nil || !sameKeys(k, got) {
		t.Fatalf("Open: %v", err)
	}
	if _, err := Open(filepath.Join(t.TempDir(), "none"), id); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	// Only the ZK key: the JOSE key is held elsewhere.
	zkOnly := &Keys{ZK: k.ZK}
	name2 := filepath.Join(t.TempDir(), "zk.age")
	if err := Create(name2, zkOnly, r); err != nil {
		t.Fatal(err)
	}
	if got, err := Open(name2, id); err != nil || got.JOSE != nil || !got.ZK.Equal(k.ZK) {
		t.Fatalf("ZK only: %v", err)
	}
	if err := Create(filepath.Join(t.TempDir(), "x"), &Keys{JOSE: k.JOSE}, r); !errors.Is(err, ErrNoKey) {
		t.Errorf("no ZK key: %v", err)
	}
	if _, err := k.Encrypt(); !errors.Is(err, ErrNoKey) {
		t.Errorf("no recipient: %v", err)
	}
}
