package credential

import (
	"context"
	"encoding/json"
	"testing"
)

func BenchmarkZKSign(b *testing.B) {
	k := fixedKey(b)
	msg := testMessage(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := k.Sign(msg); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyZK(b *testing.B) {
	k := fixedKey(b)
	msg := testMessage(b)
	sig, _ := k.Sign(msg)
	b.ReportAllocs()
	for b.Loop() {
		if err := VerifyZK(k.Public(), msg, sig); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSchemaEncode(b *testing.B) {
	s := PersonSchema()
	v := personValues()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Encode(v); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkIssue(b *testing.B) {
	f := newFixture(b)
	req := testRequest(b)
	b.ReportAllocs()
	for b.Loop() {
		is := testIssuer(f)
		if _, err := is.Issue(req); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyJWT(b *testing.B) {
	f := newFixture(b)
	tok, err := IssueJWT(testCredential(), f.ed, agencyDID+"#jose-ed", testNow)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ReportMetric(float64(len(tok)), "token_bytes")
	for b.Loop() {
		if _, err := VerifyJWT(ctx, f.resolver, tok, clockAt(testNow)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseStored(b *testing.B) {
	s := issueTest(b, newFixture(b))
	js, _ := json.Marshal(s)
	b.ReportAllocs()
	b.ReportMetric(float64(len(js)), "json_bytes")
	for b.Loop() {
		if _, err := ParseStored(js); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyJWTWithKey(b *testing.B) {
	f := newFixture(b)
	tok, err := IssueJWT(testCredential(), f.ed, agencyDID+"#jose-ed", testNow)
	if err != nil {
		b.Fatal(err)
	}
	pub := f.ed.Public()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := VerifyJWTWithKey(tok, pub, clockAt(testNow)); err != nil {
			b.Fatal(err)
		}
	}
}
