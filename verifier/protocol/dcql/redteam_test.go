package dcql

import (
	"errors"
	"strings"
	"testing"

	"github.com/zkcred/zkcred/credential/display"
)

// TestQueryAttackBidiScope: the nullifier scope, schema name, attribute
// names and string values a wallet shows its holder ("lets them see if
// you answer twice in ...", "your district is one of ...") read as their
// characters: with U+202E a verifier could show a scope or value that
// reads otherwise than what the proof binds; with a zero-width space, two
// scopes that look alike. Each is refused with ErrInvalidQuery and
// display.ErrNotDisplayable; the same query without the character parses.
func TestQueryAttackBidiScope(t *testing.T) {
	withScope := func(scope string) string {
		return strings.Replace(zq("", ""), `"zkcred_max_root_age"`, `"zkcred_nullifier_scope":"`+scope+`","zkcred_max_root_age"`, 1)
	}
	for _, tc := range []struct{ name, q string }{
		{"scope with RLO", withScope("vote-\u202e7202")},
		{"scope with isolate", withScope("vote\u2066x\u2069")},
		{"scope with zero-width space", withScope("vote-2027\u200b")},
		{"scope with escape", withScope(`vote\u001b[8m`)},
		{"schema name with LRM", strings.Replace(zq("", ""), `"zkcred/person"`, `"zkcred/person\u200e"`, 1)},
		{"value with RLO", zq(`[{"path":["credentialSubject","district"],"values":["\u202e70"]}]`, "")},
		{"values with BOM", zq(`[{"path":["credentialSubject","district"],"values":["07","\ufeff08"]}]`, "")},
		{"predicate value with C1", zq(`[{"path":["credentialSubject","district"],"zkcred_predicate":{"op":"ne","value":"07\u0085"}}]`, "")},
		{"attribute with RLO", zq(`[{"path":["credentialSubject","dis\u202etrict"]}]`, "")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.q))
			if !errors.Is(err, ErrInvalidQuery) || !errors.Is(err, display.ErrNotDisplayable) {
				t.Errorf("%s: %v, want ErrInvalidQuery and display.ErrNotDisplayable", tc.q, err)
			}
		})
	}
	for _, q := range []string{
		withScope("vote-2027"),
		zq(`[{"path":["credentialSubject","district"],"values":["07","08"]}]`, ""),
	} {
		if _, err := Parse([]byte(q)); err != nil {
			t.Errorf("baseline %s: %v", q, err)
		}
	}
}
