package did

import (
	"errors"
	"strings"
	"testing"
)

func TestParseValid(t *testing.T) {
	for _, s := range []string{
		"did:example:123456789abcdefghi",
		"did:web:example.com%3A3000:user:alice",
		"did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp",
		"did:a1:b",
		"did:example:a::b", // *( *idchar ":" ) allows empty segments
		"did:example:_-.%41",
	} {
		d, err := Parse(s)
		if err != nil {
			t.Errorf("Parse(%q): %v", s, err)
			continue
		}
		if d.String() != s {
			t.Errorf("String() = %q, want %q", d.String(), s)
		}
	}
}

var invalidDIDs = []struct {
	in, why string
}{
	// Scheme
	{"", "empty"},
	{"DID:example:1", "uppercase scheme"},
	{"did:", "nothing after scheme"},
	{"urn:example:1", "not did"},
	// Method name
	{"did::1", "empty method"},
	{"did:Example:1", "uppercase method"},
	{"did:ex-ample:1", "dash in method"},
	{"did:example", "no method-specific id"},
	// Method-specific id
	{"did:example:", "empty id"},
	{"did:example:abc:", "id ends with colon"},
	{"did:example:a b", "space"},
	{"did:example:a%2", "truncated percent-encoding"},
	{"did:example:a%zz", "bad hex in percent-encoding"},
	{"did:example:ä", "non-ASCII"},
	{"did:example:a@b", "@ not an idchar"},
	// DID URLs are not DIDs
	{"did:example:a#frag", "fragment"},
	{"did:example:a/path", "path"},
	{"did:example:a?q=1", "query"},
	// Length
	{"did:example:" + strings.Repeat("a", MaxLength), "too long"},
}

func TestParseInvalid(t *testing.T) {
	for _, tc := range invalidDIDs {
		if d, err := Parse(tc.in); !errors.Is(err, ErrInvalidDID) || d != (DID{}) {
			t.Errorf("%s: Parse(%q) = %v, %v; want ErrInvalidDID", tc.why, truncate(tc.in, 40), d, err)
		}
	}
}

func TestParseURL(t *testing.T) {
	for _, tc := range []struct {
		in                    string
		path, query, fragment string
	}{
		{"did:example:123", "", "", ""},
		{"did:example:123#key-1", "", "", "key-1"},
		{"did:example:123/path/to?versionId=1#frag", "/path/to", "versionId=1", "frag"},
		{"did:example:123?service=files&relativeRef=/a/b", "", "service=files&relativeRef=/a/b", ""},
		{"did:example:123#%20x", "", "", "%20x"},
		{"did:example:123/#/?", "/", "", "/?"},
	} {
		u, err := ParseURL(tc.in)
		if err != nil {
			t.Errorf("ParseURL(%q): %v", tc.in, err)
			continue
		}
		if u.DID.String() != "did:example:123" || u.Path != tc.path || u.Query != tc.query || u.Fragment != tc.fragment {
			t.Errorf("ParseURL(%q) = %+v", tc.in, u)
		}
		if u.String() != tc.in {
			t.Errorf("String() = %q, want %q", u.String(), tc.in)
		}
	}
}

func TestParseURLInvalid(t *testing.T) {
	for _, tc := range []struct{ in, why string }{
		// Bad DID part
		{"did:Example:1#a", "uppercase method"},
		{"did:example:#a", "empty id"},
		// Bad characters
		{"did:example:1#a b", "space in fragment"},
		{"did:example:1#a#b", "second #"},
		{"did:example:1?a b", "space in query"},
		{"did:example:1/a b", "space in path"},
		{"did:example:1/a[b]", "brackets in path"},
		// Bad percent-encoding
		{"did:example:1#%g0", "bad hex"},
		{"did:example:1/%", "truncated"},
		// Length
		{"did:example:1#" + strings.Repeat("a", MaxLength), "too long"},
	} {
		if _, err := ParseURL(tc.in); !errors.Is(err, ErrInvalidDIDURL) {
			t.Errorf("%s: ParseURL(%q) = %v; want ErrInvalidDIDURL", tc.why, truncate(tc.in, 40), err)
		}
	}
	if _, err := ParseURL("did:Example:1"); !errors.Is(err, ErrInvalidDID) {
		t.Error("a bad DID part should also wrap ErrInvalidDID")
	}
}

func TestMustParsePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("no panic")
		}
	}()
	mustParse("nope")
}
