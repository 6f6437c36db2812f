package dcql

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/zkcred/zkcred/verifier/protocol"
)

// TestFromPolicy: FromPolicy and Compile are inverses for one policy with
// every operator, disclosure and a scope; a policy DCQL cannot carry is
// refused.
func TestFromPolicy(t *testing.T) {
	years, lo, hi := 18, protocol.UintValue(1), protocol.UintValue(9)
	eq, ne := protocol.StringValue("07"), protocol.StringValue("99")
	p := protocol.Policy{
		Issuers:    []string{"did:web:agency.example"},
		Schema:     protocol.SchemaRef{Name: "zkcred/person", Version: 1, ID: "0f" + strings.Repeat("ab", 31)},
		MaxRootAge: 3600,
		Scope:      "election-2027",
		Predicates: []protocol.Predicate{
			{Attribute: "district", Op: protocol.OpEq, Value: &eq},
			{Attribute: "nationality", Op: protocol.OpIn, Values: []protocol.Value{protocol.StringValue("DE"), protocol.StringValue("FR")}},
			{Attribute: "vehicleCategory", Op: protocol.OpNe, Value: &ne},
			{Attribute: "birthDate", Op: protocol.OpAgeAtLeast, Years: &years},
			{Attribute: "points", Op: protocol.OpBetween, Min: &lo, Max: &hi},
		},
		Disclose: []string{"voterEligible"},
	}
	q, err := FromPolicy("pid", p)
	if err != nil {
		t.Fatal(err)
	}
	c, err := q.Compile("nonce")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Credentials) != 1 || len(c.Credentials[0].Alternatives) != 1 {
		t.Fatalf("compiled to %+v", c)
	}
	got, _ := json.Marshal(c.Credentials[0].Alternatives[0])
	want, _ := json.Marshal(p)
	if string(got) != string(want) {
		t.Errorf("round trip:\n got %s\nwant %s", got, want)
	}

	p.Predicates = []protocol.Predicate{{Attribute: "district", Op: protocol.OpEq}}
	if _, err := FromPolicy("pid", p); !errors.Is(err, protocol.ErrInvalidRequest) {
		t.Errorf("eq without value: %v", err)
	}
	if _, err := FromPolicy("not an id!", protocol.Policy{Issuers: p.Issuers, Schema: p.Schema}); !errors.Is(err, protocol.ErrInvalidRequest) {
		t.Errorf("bad id: %v", err)
	}
}
