package credential

import (
	"github.com/zkcred/zkcred/credential/zkhash"

	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
)

var update = flag.Bool("update", false, "rewrite golden files")

func testIssuer(f *fixture) *Issuer {
	return &Issuer{
		DID: agencyDID, JOSEKey: f.ed, JOSEKeyID: agencyDID + "#jose-ed",
		ZKKey: f.zk, ZKKeyID: agencyDID + "#zk",
		Rand:  bytes.NewReader(make([]byte, 16)), // fixed credential id
		Clock: func() time.Time { return testNow },
	}
}

func testSecret(t testing.TB) *HolderSecret {
	h, err := ParseHolderSecret(bytes.Repeat([]byte{0x11}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func testRequest(t testing.TB) IssueRequest {
	return IssueRequest{
		Schema:           PersonSchema(),
		Values:           personValues(),
		HolderCommitment: testSecret(t).Commitment(),
		ValidUntil:       testNow.AddDate(5, 0, 0),
		RevocationID:     123456789,
		Types:            []string{"PersonCredential"},
		Status: []Object{{ID: "https://agency.example/status/1#94567", Type: []string{"BitstringStatusListEntry"},
			Props: map[string]any{"statusPurpose": "revocation", "statusListIndex": "94567", "statusListCredential": "https://agency.example/status/1"}}},
	}
}

func issueTest(t testing.TB, f *fixture) *Stored {
	t.Helper()
	s, err := testIssuer(f).Issue(testRequest(t))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestIssueStored(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	s := issueTest(t, f)
	if err := s.VerifyZK(f.zk.Public()); err != nil {
		t.Fatalf("VerifyZK: %v", err)
	}
	c, err := s.Verify(ctx, f.resolver, clockAt(testNow))
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if c.CredentialSubject[0].Claims["birthDate"] != "1990-05-17" || c.CredentialStatus[0].Props["statusListIndex"] != "94567" {
		t.Errorf("credential %+v", c)
	}
	if err := s.CheckHolder(testSecret(t)); err != nil {
		t.Error(err)
	}
	other, _ := ParseHolderSecret(bytes.Repeat([]byte{0x12}, 32))
	if err := s.CheckHolder(other); !errors.Is(err, ErrInvalidCredential) {
		t.Errorf("other holder: %v", err)
	}
	// The message is what zkhash.Message gives for the request.
	req := testRequest(t)
	slots, _ := req.Schema.Encode(req.Values)
	want := zkhash.Message(req.Schema.ID(), req.HolderCommitment, req.RevocationID, uint64(req.ValidUntil.Unix()), slots)
	if got := s.Message(); !got.Equal(&want) {
		t.Error("Message differs from zkhash.Message of the request")
	}
	// JSON round trip, byte-stable.
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	s2, err := ParseStored(b)
	if err != nil {
		t.Fatal(err)
	}
	b2, _ := json.Marshal(s2)
	if !bytes.Equal(b, b2) {
		t.Errorf("not stable:\n%s\n%s", b, b2)
	}
	if _, err := s2.Verify(ctx, f.resolver, clockAt(testNow)); err != nil {
		t.Errorf("Verify after round trip: %v", err)
	}
	// Expired at validUntil.
	if _, err := s.Verify(ctx, f.resolver, clockAt(testNow.AddDate(6, 0, 0))); !errors.Is(err, ErrExpired) {
		t.Errorf("expired: %v", err)
	}
}

// TestGoldenStored pins the stored format: fixed keys, clock and
// randomness make issuance deterministic. Regenerate with -update.
func TestGoldenStored(t *testing.T) {
	f := newFixture(t)
	b, err := json.MarshalIndent(issueTest(t, f), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "golden", "stored-person-v1.json")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	golden, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(golden, b) {
		t.Errorf("stored credential differs from %s (run with -update if the change is intended):\n%s", path, b)
	}
	s, err := ParseStored(golden)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.VerifyZK(f.zk.Public()); err != nil {
		t.Error(err)
	}
}

func TestStoredTampering(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	otherReq := testRequest(t)
	otherReq.Values = personValues()
	otherReq.Values["district"] = "08"
	otherStored, err := testIssuer(f).Issue(otherReq)
	if err != nil {
		t.Fatal(err)
	}
	reencode := func(s *Stored) {
		s.Slots, _ = s.Schema.Encode(s.Values)
	}
	for _, tc := range []struct {
		name   string
		mutate func(s *Stored)
		zk     error // from VerifyZK
		full   error // from Verify
	}{
		{"value and slots changed", func(s *Stored) { s.Values["district"] = "08"; reencode(s) }, ErrBadSignature, ErrSchemaMismatch},
		{"value changed, slots kept", func(s *Stored) { s.Values["district"] = "08" }, ErrSchemaMismatch, ErrSchemaMismatch},
		{"slot changed", func(s *Stored) { s.Slots[15].SetOne() }, ErrSchemaMismatch, ErrSchemaMismatch},
		{"holder commitment changed", func(s *Stored) { s.HolderCommitment.SetUint64(5) }, ErrBadSignature, ErrBadSignature},
		{"revocation id changed", func(s *Stored) { s.RevocationID++ }, ErrBadSignature, ErrBadSignature},
		{"expiry changed", func(s *Stored) { s.Expiry += 86400 }, ErrBadSignature, ErrInvalidCredential},
		{"schema version changed", func(s *Stored) { s.Schema.Version = 2 }, ErrBadSignature, ErrSchemaMismatch},
		{"schema slots changed", func(s *Stored) { s.Schema.Slots = 17; reencode(s) }, ErrBadSignature, ErrSchemaMismatch},
		{"signature from another credential", func(s *Stored) { s.Signature = otherStored.Signature }, ErrBadSignature, ErrBadSignature},
		{"JWT of another credential", func(s *Stored) { s.JWT = otherStored.JWT }, nil, ErrSchemaMismatch},
		{"ZK kid names the JOSE key", func(s *Stored) { s.ZKKeyID = agencyDID + "#jose-ed" }, nil, ErrUntrustedKey},
		{"ZK kid not in the document", func(s *Stored) { s.ZKKeyID = agencyDID + "#nope" }, nil, ErrUntrustedKey},
		{"JOSE kid differs from the JWT", func(s *Stored) { s.JOSEKeyID = agencyDID + "#jose-p256" }, nil, ErrInvalidCredential},
		{"issuer changed", func(s *Stored) { s.Issuer = otherDID }, ErrInvalidCredential, ErrInvalidCredential},
		{"revocation id 0", func(s *Stored) { s.RevocationID = 0 }, ErrInvalidCredential, ErrInvalidCredential},
		{"zero signature", func(s *Stored) { s.Signature = ZKSignature{} }, ErrInvalidCredential, ErrInvalidCredential},
		{"nil schema", func(s *Stored) { s.Schema = nil }, ErrInvalidCredential, ErrInvalidCredential},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := issueTest(t, f)
			tc.mutate(s)
			if tc.zk != nil {
				if err := s.VerifyZK(f.zk.Public()); !errors.Is(err, tc.zk) {
					t.Errorf("VerifyZK err = %v, want %v", err, tc.zk)
				}
			} else if err := s.VerifyZK(f.zk.Public()); err != nil {
				t.Errorf("ZK part alone should still verify: %v", err)
			}
			if _, err := s.Verify(ctx, f.resolver, clockAt(testNow)); !errors.Is(err, tc.full) {
				t.Errorf("Verify err = %v, want %v", err, tc.full)
			}
		})
	}
	// Another issuer's ZK key does not verify.
	k2, _ := NewZKPrivateKey(bytes.Repeat([]byte{9}, 32))
	if err := issueTest(t, f).VerifyZK(k2.Public()); !errors.Is(err, ErrBadSignature) {
		t.Errorf("other ZK key: %v", err)
	}
}

func TestIssueRejects(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		name   string
		issuer func(*Issuer)
		req    func(*IssueRequest)
		want   error
	}{
		{"zero holder commitment", nil, func(r *IssueRequest) { r.HolderCommitment = fr.Element{} }, ErrInvalidCredential},
		{"revocation id 0", nil, func(r *IssueRequest) { r.RevocationID = 0 }, ErrInvalidCredential},
		{"revocation id 2^64-1", nil, func(r *IssueRequest) { r.RevocationID = math.MaxUint64 }, ErrInvalidCredential},
		{"no validUntil", nil, func(r *IssueRequest) { r.ValidUntil = time.Time{} }, ErrInvalidCredential},
		{"validUntil in the past", nil, func(r *IssueRequest) { r.ValidUntil = testNow.Add(-time.Hour) }, ErrInvalidCredential},
		{"validUntil before validFrom", nil, func(r *IssueRequest) { r.ValidFrom = testNow.AddDate(6, 0, 0) }, ErrInvalidCredential},
		{"value out of range", nil, func(r *IssueRequest) { r.Values["birthDate"] = "1700-01-01" }, ErrSchemaMismatch},
		{"missing value", nil, func(r *IssueRequest) { delete(r.Values, "district") }, ErrSchemaMismatch},
		{"no schema", nil, func(r *IssueRequest) { r.Schema = nil }, ErrInvalidSchema},
		{"subject id not a URL", nil, func(r *IssueRequest) { r.SubjectID = "holder" }, ErrInvalidCredential},
		{"status without type", nil, func(r *IssueRequest) { r.Status = []Object{{ID: "https://x.example/1"}} }, ErrInvalidCredential},
		{"ZK key id of another DID", func(i *Issuer) { i.ZKKeyID = otherDID + "#zk" }, nil, ErrUntrustedKey},
		{"JOSE key id of another DID", func(i *Issuer) { i.JOSEKeyID = otherDID + "#key" }, nil, ErrUntrustedKey},
		{"no ZK key", func(i *Issuer) { i.ZKKey = nil }, nil, ErrInvalidKey},
		{"no JOSE key", func(i *Issuer) { i.JOSEKey = nil }, nil, ErrInvalidKey},
	} {
		t.Run(tc.name, func(t *testing.T) {
			is := testIssuer(f)
			req := testRequest(t)
			if tc.issuer != nil {
				tc.issuer(is)
			}
			if tc.req != nil {
				tc.req(&req)
			}
			if s, err := is.Issue(req); !errors.Is(err, tc.want) || s != nil {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestParseStoredRejects(t *testing.T) {
	f := newFixture(t)
	good, err := json.Marshal(issueTest(t, f))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	_ = json.Unmarshal(good, &m)
	with := func(k, v string) []byte {
		c := map[string]json.RawMessage{}
		for kk, vv := range m {
			c[kk] = vv
		}
		if v == "" {
			delete(c, k)
		} else {
			c[k] = json.RawMessage(v)
		}
		b, _ := json.Marshal(c)
		return b
	}
	slot0 := strings.Trim(string(m["slots"]), "[]")
	slot0 = strings.Split(slot0, ",")[0]
	rBytes := fr.Modulus().FillBytes(make([]byte, 32))
	sigOfR := `"` + b64url.EncodeToString(rBytes) + `"`
	var vals map[string]any
	_ = json.Unmarshal(m["values"], &vals)
	for name, tc := range map[string]struct {
		in   []byte
		want error
	}{
		"other version":            {with("version", `"zkcred-credential-v2"`), ErrUnsupportedVersion},
		"no version":               {with("version", ""), ErrUnsupportedVersion},
		"unknown member":           {with("extra", `1`), ErrInvalidCredential},
		"duplicate member":         {bytes.Replace(good, []byte(`"revocationId":`), []byte(`"revocationId":"5","revocationId":`), 1), ErrInvalidCredential},
		"missing jwt":              {with("jwt", ""), ErrInvalidCredential},
		"missing slots":            {with("slots", ""), ErrInvalidCredential},
		"missing expiry":           {with("expiry", ""), ErrInvalidCredential},
		"revocationId number":      {with("revocationId", `123456789`), ErrInvalidCredential},
		"revocationId leading 0":   {with("revocationId", `"0123456789"`), ErrInvalidCredential},
		"revocationId over 64 bit": {with("revocationId", `"18446744073709551616"`), ErrInvalidCredential},
		"expiry a string":          {with("expiry", `"1957960800"`), ErrInvalidCredential},
		"expiry exponent":          {with("expiry", `1.9e9`), ErrInvalidCredential},
		"expiry negative":          {with("expiry", `-1`), ErrInvalidCredential},
		"padded base64":            {with("holderCommitment", `"`+strings.Trim(string(m["holderCommitment"]), `"`)+`="`), ErrInvalidCredential},
		"element equal to r":       {with("holderCommitment", sigOfR), ErrInvalidCredential},
		"slot equal to r":          {with("slots", `[`+sigOfR+strings.TrimPrefix(string(m["slots"]), "["+slot0)), ErrInvalidCredential},
		"one slot too few":         {with("slots", `[`+strings.TrimPrefix(string(m["slots"]), "["+slot0+",")), ErrSchemaMismatch},
		"short signature":          {with("zkSignature", `"AAAA"`), ErrBadSignature},
		"date value not canonical": {with("values", strings.Replace(string(m["values"]), "1990-05-17", "1990-5-17", 1)), ErrSchemaMismatch},
		"uint as float":            {with("values", strings.Replace(string(m["values"]), `"birthDate"`, `"x":1.0,"birthDate"`, 1)), ErrSchemaMismatch},
		"values an array":          {with("values", `[]`), ErrInvalidCredential},
		"schema unknown member":    {with("schema", strings.Replace(string(m["schema"]), `"slots"`, `"x":1,"slots"`, 1)), ErrInvalidSchema},
		"kid of another DID":       {with("zkKid", `"did:example:other#zk"`), ErrInvalidCredential},
		"trailing data":            {append(append([]byte(nil), good...), '{', '}'), ErrInvalidCredential},
		"too large":                {append(bytes.Repeat([]byte(" "), MaxStoredSize), good...), ErrTooLarge},
		"not JSON":                 {[]byte("zkcred"), ErrInvalidCredential},
	} {
		t.Run(name, func(t *testing.T) {
			if s, err := ParseStored(tc.in); !errors.Is(err, tc.want) || s != nil {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
		})
	}
	if _, err := ParseStored(good); err != nil {
		t.Fatalf("control: %v", err)
	}
}
