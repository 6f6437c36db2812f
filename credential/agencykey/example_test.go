package agencykey_test

import (
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"filippo.io/age"

	"github.com/zkcred/zkcred/credential/agencykey"
)

// Example creates an agency's keys, stores them encrypted to an age
// identity (age-keygen's X25519 key; agencykey.Passphrase works the same
// way), and reads them back when the service starts.
func Example() {
	dir, _ := os.MkdirTemp("", "agency")
	defer os.RemoveAll(dir)
	ageKey, _ := age.GenerateX25519Identity() // in production: age-keygen -o identity.txt
	recipient, identity := ageKey.Recipient(), ageKey

	keys, err := agencykey.Generate(rand.Reader)
	if err != nil {
		panic(err)
	}
	name := filepath.Join(dir, "keys.age")
	if err := agencykey.Create(name, keys, recipient); err != nil {
		panic(err)
	}

	loaded, err := agencykey.Open(name, identity)
	if err != nil {
		panic(err)
	}
	fmt.Println("ZK key restored:", loaded.ZK.Equal(keys.ZK))

	other, _ := age.GenerateX25519Identity()
	_, err = agencykey.Open(name, other)
	fmt.Println("another identity:", errors.Is(err, agencykey.ErrWrongKey))
	// Output:
	// ZK key restored: true
	// another identity: true
}
