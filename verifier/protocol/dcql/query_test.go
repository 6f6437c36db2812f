package dcql

import (
	"os"
	"testing"
)

func TestParseVector(t *testing.T) {
	b, err := os.ReadFile("testdata/age-and-residence.json")
	if err != nil {
		t.Fatal(err)
	}
	q, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	c, err := q.Compile("n-0S6_WzA2Mj")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Credentials) != 1 || len(c.Credentials[0].Alternatives) != 1 {
		t.Fatalf("compiled %+v", c)
	}
	p := c.Credentials[0].Alternatives[0]
	if len(p.Predicates) != 2 || len(p.Disclose) != 1 || p.Disclose[0] != "familyName" {
		t.Fatalf("policy %+v", p)
	}
	// JSON round trip.
	j, err := q.JSON()
	if err != nil {
		t.Fatal(err)
	}
	q2, err := Parse(j)
	if err != nil {
		t.Fatal(err)
	}
	j2, _ := q2.JSON()
	if string(j) != string(j2) {
		t.Fatalf("round trip:\n%s\n%s", j, j2)
	}
}
