package openid4vci

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/zkcred/zkcred/credential/display"
)

// TestOfferAttackTxCodePhishing: the tx_code description is shown next to
// the PIN field; an evil issuer could write one that reads otherwise than
// its bytes (U+202E), hides text (an ANSI escape, a zero-width space) or
// breaks the line to fake the wallet's own words. Each is refused with
// ErrInvalidOffer and display.ErrNotDisplayable, by value and in an
// openid-credential-offer URI.
func TestOfferAttackTxCodePhishing(t *testing.T) {
	if _, _, err := ParseOffer(vectorOffer); err != nil {
		t.Fatalf("baseline: %v", err)
	}
	for _, desc := range []string{
		`The PIN in your letter \u202eknab ruoy ot dnes`,
		`The PIN\u2066 in your letter`,
		`The PIN in your letter\n\nWallet: also type your bank PIN`,
		`The PIN in your letter\r`,
		`\u001b[8mThe PIN`,
		`The PIN\u200b in your letter`,
		`The PIN\u0085`,
	} {
		o := strings.Replace(vectorOffer, `"The PIN in your letter"`, `"`+desc+`"`, 1)
		for _, s := range []string{o, "openid-credential-offer://?credential_offer=" + url.QueryEscape(o)} {
			if _, _, err := ParseOffer(s); !errors.Is(err, ErrInvalidOffer) || !errors.Is(err, display.ErrNotDisplayable) {
				t.Errorf("%s: %v, want ErrInvalidOffer and display.ErrNotDisplayable", desc, err)
			}
		}
	}
}

// TestMetadataAttackDisplayBidi: the issuer's and the credential's display
// names a wallet may show come from the issuer too and follow the same
// rule.
func TestMetadataAttackDisplayBidi(t *testing.T) {
	c := &CredentialConfiguration{Format: Format, Metadata: &CredentialMetadata{
		Display: []Display{{Name: "Person ID", Locale: "en"}},
		Claims:  []ClaimDescription{{Path: []string{"credentialSubject", "givenName"}, Display: []Display{{Name: "Given name"}}}},
	}}
	m := &IssuerMetadata{Display: []Display{{Name: "Agency", Description: "The agency"}}}
	if err := checkDisplays(m, c); err != nil {
		t.Fatalf("baseline: %v", err)
	}
	for name, mod := range map[string]func(){
		"issuer name": func() { m.Display[0].Name = "Agen\u202ecy" },
		"issuer desc": func() { m.Display[0].Description = "ok\x1b[8m" },
		"credential":  func() { c.Metadata.Display[0].Name = "Person\u200bID" },
		"locale":      func() { c.Metadata.Display[0].Locale = "en\u2066" },
		"claim":       func() { c.Metadata.Claims[0].Display[0].Name = "Given\nname" },
	} {
		m.Display[0] = Display{Name: "Agency", Description: "The agency"}
		c.Metadata.Display[0] = Display{Name: "Person ID", Locale: "en"}
		c.Metadata.Claims[0].Display[0] = Display{Name: "Given name"}
		mod()
		if err := checkDisplays(m, c); !errors.Is(err, ErrInvalidOffer) || !errors.Is(err, display.ErrNotDisplayable) {
			t.Errorf("%s: %v, want ErrInvalidOffer and display.ErrNotDisplayable", name, err)
		}
	}
}
