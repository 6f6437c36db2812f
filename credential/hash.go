package credential

import (
	"encoding/binary"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/zkcred/zkcred/credential/zkhash"
)

// The holder's values, hashed with the zkcred-poseidon2-v1 suite
// (package [zkhash]).

// HolderCommitment is Hash(TagHolder, secret): what the holder sends the
// issuer instead of its secret.
func HolderCommitment(secret fr.Element) fr.Element {
	return zkhash.Hash(zkhash.TagHolder, secret)
}

// Nullifier is Hash(TagNullifier, secret, scope): stable for one holder and
// one scope, unlinkable across scopes.
func Nullifier(secret, scope fr.Element) fr.Element {
	return zkhash.Hash(zkhash.TagNullifier, secret, scope)
}

// ScopeElement maps a nullifier scope name (e.g. "election-2027-municipal")
// to the field element the circuit takes; it is never zero for a non-empty
// name except with negligible probability, and zero means "no scope".
func ScopeElement(name string) fr.Element {
	if name == "" {
		return fr.Element{}
	}
	return zkhash.Bytes(zkhash.TagScope, []byte(name))
}

// ScopeFor maps a nullifier scope requested by a verifier to the field
// element the circuit takes, bound to the verifier's audience:
// Bytes(TagScope, len(audience) as 8 bytes big-endian ‖ audience ‖ scope).
// Binding the audience means no other verifier can ask for the same scope
// and so obtain (and link to) the nullifiers a ballot box records: a
// nullifier is stable per (holder, verifier, scope) and unlinkable across
// them. Several instances of one verifier share its audience. An empty
// scope means "no scope" and maps to zero.
func ScopeFor(audience, scope string) fr.Element {
	if scope == "" {
		return fr.Element{}
	}
	b := make([]byte, 8, 8+len(audience)+len(scope))
	binary.BigEndian.PutUint64(b, uint64(len(audience)))
	b = append(b, audience...)
	b = append(b, scope...)
	return zkhash.Bytes(zkhash.TagScope, b)
}
