package dcql_test

import (
	"encoding/json"
	"fmt"

	"github.com/zkcred/zkcred/verifier/protocol/dcql"
)

// A verifier asks, in DCQL, for proof that the holder is an adult living
// in district 07 or 08, and for the family name; a wallet (or the verifier
// checking the answer) compiles it into a zkcred policy.
func ExampleParse() {
	q, err := dcql.Parse([]byte(`{"credentials":[{
		"id": "person",
		"format": "zkcred_zkp",
		"meta": {
			"zkcred_profile": "zkcred-dcql-predicates-v1",
			"zkcred_schema": {"name": "zkcred/person", "version": 1,
				"id": "0c4f1d5e7a9b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5"},
			"zkcred_max_root_age": 86400
		},
		"trusted_authorities": [{"type": "zkcred_did", "values": ["did:web:agency.example"]}],
		"claims": [
			{"path": ["credentialSubject", "birthDate"], "zkcred_predicate": {"op": "ageAtLeast", "years": 18}},
			{"path": ["credentialSubject", "district"], "values": ["07", "08"]},
			{"path": ["credentialSubject", "familyName"]}
		]
	}]}`))
	if err != nil {
		panic(err)
	}
	c, err := q.Compile("n-0S6_WzA2Mj") // the OpenID4VP request's nonce
	if err != nil {
		panic(err)
	}
	p := c.Credentials[0].Alternatives[0]
	fmt.Println("issuers:", p.Issuers)
	for _, pr := range p.Predicates {
		b, _ := json.Marshal(pr)
		fmt.Println("prove:", string(b))
	}
	fmt.Println("disclose:", p.Disclose)
	// Output:
	// issuers: [did:web:agency.example]
	// prove: {"attribute":"birthDate","op":"ageAtLeast","years":18}
	// prove: {"attribute":"district","op":"in","values":["07","08"]}
	// disclose: [familyName]
}
