package openid4vp_test

import (
	"fmt"

	"github.com/zkcred/zkcred/verifier/protocol/openid4vp"
)

// A verifier asks the holder to commit to a ballot choice; the wallet
// refuses any item whose type it does not know.
func ExampleTransactionData() {
	td := &openid4vp.TransactionData{Type: openid4vp.TypeBallot, CredentialIDs: []string{"voter"},
		BallotID: "referendum-2026-12", Choice: "yes"}
	item, err := td.Encode()
	if err != nil {
		panic(err)
	}
	got, err := openid4vp.ParseTransactionData(item)
	fmt.Println(got.Type, got.Choice, err)

	_, err = openid4vp.ParseTransactionData("eyJ0eXBlIjoicGF5bWVudCIsImNyZWRlbnRpYWxfaWRzIjpbInZvdGVyIl19")
	fmt.Println(openid4vp.ErrorCode(err))
	// Output:
	// zkcred_ballot yes <nil>
	// invalid_transaction_data
}
