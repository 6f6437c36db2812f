package display_test

import (
	"fmt"

	"github.com/zkcred/zkcred/credential/display"
)

func ExampleCheck() {
	fmt.Println(display.Check("I agree to pay 10 EUR", false))
	fmt.Println(display.Check("I agree to pay \u202e01 EUR", false))
	// Output:
	// <nil>
	// display: text has control, bidirectional formatting or invisible characters: U+202E at byte 15
}
