package fetch_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/zkcred/zkcred/did/fetch"
)

// A client whose MaxBytes admits a keys log's 4 MiB entry bundles reads
// at most 8 KiB of a hash tile: a larger body is refused with
// ErrTooLarge as soon as its 8,193rd byte arrives.
func ExampleClient_GetLimited() {
	c, err := fetch.New(&fetch.Config{MaxBytes: 5 << 20})
	if err != nil {
		panic(err)
	}
	resp, err := c.GetLimited(context.Background(), "https://agency.example/revocations/tile/0/000", "", 8192)
	switch {
	case errors.Is(err, fetch.ErrTooLarge):
		fmt.Println("not a tile: larger than 8 KiB")
	case err != nil:
		fmt.Println(err)
	default:
		fmt.Println(resp.StatusCode, len(resp.Body))
	}
}
