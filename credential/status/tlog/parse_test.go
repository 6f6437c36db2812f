package tlog_test

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"

	"github.com/zkcred/zkcred/credential/status/tlog"
)

// TestParseCheckpointStrict: each deviation from the exact layout is
// refused with ErrMalformedCheckpoint.
func TestParseCheckpointStrict(t *testing.T) {
	f := newFixture(t, 1)
	good := string(f.revoke(1, 2, 3).Note)
	if _, err := tlog.ParseCheckpoint([]byte(good)); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(good, "\n")
	set := func(i int, v string) string {
		l := append([]string(nil), lines...)
		l[i] = v
		return strings.Join(l, "\n")
	}
	ext := strings.Fields(lines[3])
	extWith := func(i int, v string) string {
		e := append([]string(nil), ext...)
		e[i] = v
		return set(3, strings.Join(e, " "))
	}
	for name, b := range map[string]string{
		"empty":                        "",
		"no blank line":                strings.Replace(good, "\n\n", "\n", 1),
		"size leading zero":            set(1, "03"),
		"size sign":                    set(1, "+3"),
		"size too big":                 set(1, "99999999999999999999"),
		"hash not canonical":           set(2, lines[2][:42]+"=="),
		"hash short":                   set(2, "AAAA"),
		"no extension":                 strings.Join(append(append([]string{}, lines[:3]...), lines[4:]...), "\n"),
		"two extensions":               set(3, lines[3]+"\n"+lines[3]),
		"unknown extension":            extWith(0, "zkcred-revocation/v2"),
		"depth zero":                   extWith(1, "0"),
		"depth 65":                     extWith(1, "65"),
		"size beyond depth":            extWith(1, "1"),
		"sequence leading zero":        extWith(2, "01"),
		"time negative":                extWith(3, "-1"),
		"root not canonical":           extWith(4, "//////////////////////////////////////////8="), // > r
		"root short":                   extWith(4, "AAAA"),
		"extra field":                  set(3, lines[3]+" x"),
		"keys kind, revocation origin": set(3, "zkcred-keys/v1 1800000000"),
		"double space":                 set(3, strings.Replace(lines[3], " ", "  ", 1)),
		"origin with space":            set(0, "did:web:a b/revocation"),
		"origin with plus":             set(0, "did:web:a+b/revocation"),
		"CRLF":                         strings.ReplaceAll(good, "\n", "\r\n"),
		"no final newline":             strings.TrimSuffix(good, "\n"),
		"signature not base64":         set(len(lines)-2, "\u2014 x !!!!"),
		"signature no prefix":          set(len(lines)-2, "- x AAAAAAA="),
		"signature short":              set(len(lines)-2, "\u2014 x AAAA"),
		"signature noncanonical":       set(len(lines)-2, "\u2014 x AAAAAAB="),
		"empty signature block":        strings.SplitAfter(good, "\n\n")[0],
		"too many signatures":          good + strings.Repeat(lines[len(lines)-2]+"\n", tlog.MaxSignatures),
		"too large":                    good + strings.Repeat("\u2014 x AAAAAAA=\n", tlog.MaxCheckpointSize/12),
	} {
		if _, err := tlog.ParseCheckpoint([]byte(b)); !errors.Is(err, tlog.ErrMalformedCheckpoint) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestKeys: witness and log key encodings, origins, a P-256 method.
func TestKeys(t *testing.T) {
	f := newFixture(t, 1)
	k := f.wkeys[0]
	k2, err := tlog.ParseWitnessKey(k.String())
	if err != nil || k2.Name() != k.Name() || !k2.PublicKey().Equal(k.PublicKey()) {
		t.Fatalf("round trip: %v", err)
	}
	s := k.String()
	for name, bad := range map[string]string{
		"hash":       strings.Replace(s, "+", "+0", 1)[:len(s)],
		"type 0x01":  s[:strings.LastIndexByte(s, '+')+1] + "A" + s[strings.LastIndexByte(s, '+')+2:],
		"no key":     k.Name() + "+00000000+",
		"upper hash": strings.ToUpper(s[:strings.LastIndexByte(s, '+')]) + s[strings.LastIndexByte(s, '+'):],
	} {
		if _, err := tlog.ParseWitnessKey(bad); err == nil {
			t.Errorf("%s: accepted %q", name, bad)
		}
	}
	if _, err := tlog.NewLogKey("a b", f.key.Public().(ed25519.PublicKey)); !errors.Is(err, tlog.ErrInvalidOrigin) {
		t.Fatal(err)
	}
	if _, err := tlog.RevocationOrigin("not a did"); !errors.Is(err, tlog.ErrInvalidOrigin) {
		t.Fatal(err)
	}
	if o, err := tlog.KeysOrigin(testIssuer); err != nil || o != testIssuer+"/keys" {
		t.Fatal(o, err)
	}
	lk := f.writer.LogKey().String()
	if !strings.HasPrefix(lk, f.origin+"+") {
		t.Fatal(lk)
	}
	if k, err := tlog.ParseLogKey(lk); err != nil || k.Origin() != f.origin || !k.PublicKey().Equal(f.key.Public()) {
		t.Fatalf("ParseLogKey: %v", err)
	}
	for _, bad := range []string{lk[:len(lk)-2] + "A=", strings.Replace(lk, "+", "+f", 1), f.wkeys[0].String(), "x+00000000+AQ=="} {
		if _, err := tlog.ParseLogKey(bad); err == nil {
			t.Errorf("ParseLogKey accepted %q", bad)
		}
	}
	if _, err := tlog.NewPolicy(f.writer.LogKey(), append(f.wkeys, f.wkeys[0]), 1); err == nil {
		t.Fatal("duplicate witness accepted")
	}
	if _, err := tlog.NewPolicy(f.writer.LogKey(), f.wkeys, 2); !errors.Is(err, tlog.ErrNoQuorum) {
		t.Fatal("quorum above the witnesses accepted")
	}
}

// TestEntries: entry encodings.
func TestEntries(t *testing.T) {
	for _, id := range []uint64{0, ^uint64(0)} {
		if _, err := tlog.RevocationEntry(id); !errors.Is(err, tlog.ErrMalformedEntry) {
			t.Fatal(id)
		}
	}
	e, _ := tlog.RevocationEntry(258)
	if !bytes.Equal(e, []byte{0, 0, 0, 0, 0, 0, 1, 2}) {
		t.Fatal(e)
	}
	if id, err := tlog.ParseRevocationEntry(e); err != nil || id != 258 {
		t.Fatal(id, err)
	}
	if _, err := tlog.ParseRevocationEntry(e[:7]); !errors.Is(err, tlog.ErrMalformedEntry) {
		t.Fatal(err)
	}
	if _, err := tlog.ParseDocumentEntry([]byte(`{"id":"did:web:a.example"}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := tlog.ParseDocumentEntry(make([]byte, tlog.MaxDocumentEntrySize+1)); !errors.Is(err, tlog.ErrMalformedEntry) {
		t.Fatal(err)
	}
}
