package credential

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"math/big"
	"sync"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr/poseidon2"
)

// Field elements and hashing.
//
// zkcred hashes with Poseidon2 over the BN254 scalar field, the one
// SNARK-friendly hash that gnark-crypto has natively and gnark has in circuits
// (std/permutation/poseidon2) with identical round constants. Two
// constructions are used, and the zkp package mirrors both in-circuit:
//
//   - [Hash] is a fixed-length sponge over the width-4 permutation (8 full,
//     56 partial rounds): the capacity lane starts as tag + n·2^64 (domain tag,
//     input count n), inputs are added three at a time to lanes 1..3 (the last
//     chunk zero-padded), the state is permuted after each chunk (once if n is
//     0), and the digest is lane 1. Tags separate every use, and the count in
//     the capacity makes zero padding unambiguous. In R1CS one permutation costs
//     265 constraints and absorbs three elements (the width-2 Merkle–Damgård
//     hasher costs 187 per element).
//   - [Compress] is the width-2 Poseidon2 compression function
//     (6 full, 50 partial rounds, feed-forward of the right input), used for the
//     inner nodes of Merkle trees: 187 R1CS constraints per node.
//
// Version: this is hash suite "zkcred-poseidon2-v1". Changing any of it
// changes every signature, commitment and root.
const HashSuite = "zkcred-poseidon2-v1"

// Domain-separation tags for [Hash]. Each use of the hash has its own tag.
const (
	TagMessage     uint64 = 1 // the message the issuer signs: see [MessageHash]
	TagHolder      uint64 = 2 // the holder commitment: see [HolderCommitment]
	TagNullifier   uint64 = 3 // the per-scope nullifier: see [Nullifier]
	TagString      uint64 = 4 // a string attribute or identifier: see [HashString]
	TagIndexedLeaf uint64 = 5 // a leaf (value, next) of an indexed Merkle tree
	TagEdDSA       uint64 = 6 // the EdDSA challenge H(R, A, M): see [NewEdDSAHash]
	TagSchema      uint64 = 7 // a schema's id
	TagRequest     uint64 = 8 // a presentation request's hash
	TagScope       uint64 = 9 // a nullifier scope name
)

// MaxHashInputs bounds the number of elements one call to [Hash] absorbs.
const MaxHashInputs = 1 << 20

var (
	perm4 = sync.OnceValue(func() *poseidon2.Permutation { return poseidon2.NewPermutation(4, 8, 56) })
	perm2 = sync.OnceValue(func() *poseidon2.Permutation { return poseidon2.NewPermutation(2, 6, 50) })
)

// Hash returns the tagged sponge hash of in (see the construction above).
// It panics if len(in) exceeds [MaxHashInputs], a programming error.
func Hash(tag uint64, in ...fr.Element) fr.Element {
	if len(in) > MaxHashInputs {
		panic("credential: internal error: too many hash inputs")
	}
	var state [4]fr.Element
	state[0] = hashIV(tag, len(in))
	p := perm4()
	if len(in) == 0 {
		if err := p.Permutation(state[:]); err != nil {
			panic("credential: internal error: " + err.Error())
		}
		return state[1]
	}
	for i := 0; i < len(in); i += 3 {
		for j := 0; j < 3 && i+j < len(in); j++ {
			state[1+j].Add(&state[1+j], &in[i+j])
		}
		if err := p.Permutation(state[:]); err != nil {
			panic("credential: internal error: " + err.Error())
		}
	}
	return state[1]
}

// hashIV is the initial capacity lane: tag + n·2^64.
func hashIV(tag uint64, n int) fr.Element {
	var iv, t fr.Element
	iv.SetUint64(uint64(n))
	iv.Mul(&iv, &twoTo64)
	t.SetUint64(tag)
	iv.Add(&iv, &t)
	return iv
}

// HashIV returns the capacity lane [Hash] starts from, for circuits that
// mirror it.
func HashIV(tag uint64, n int) *big.Int {
	iv := hashIV(tag, n)
	return iv.BigInt(new(big.Int))
}

var twoTo64 = func() fr.Element {
	var e fr.Element
	e.SetBigInt(new(big.Int).Lsh(big.NewInt(1), 64))
	return e
}()

// Compress is the width-2 Poseidon2 compression function, P(l, r)[1] + r,
// used for Merkle tree inner nodes.
func Compress(l, r fr.Element) fr.Element {
	x := [2]fr.Element{l, r}
	if err := perm2().Permutation(x[:]); err != nil {
		panic("credential: internal error: " + err.Error())
	}
	x[1].Add(&x[1], &r)
	return x[1]
}

// MessageHash is the message the issuer's zero-knowledge key signs:
//
//	Hash(TagMessage, schemaID, holderCommitment, revocationID, expiry, slot_0, …, slot_{n-1})
//
// revocationID is the credential's identifier in the issuer's revocation
// tree and expiry a Unix time in seconds; slots are the schema's encoded
// attribute slots, exactly as many as the schema declares.
func MessageHash(schemaID, holderCommitment fr.Element, revocationID, expiry uint64, slots []fr.Element) fr.Element {
	in := make([]fr.Element, 0, 4+len(slots))
	var rid, exp fr.Element
	rid.SetUint64(revocationID)
	exp.SetUint64(expiry)
	in = append(in, schemaID, holderCommitment, rid, exp)
	in = append(in, slots...)
	return Hash(TagMessage, in...)
}

// HolderCommitment is Hash(TagHolder, secret): what the holder sends the
// issuer instead of its secret.
func HolderCommitment(secret fr.Element) fr.Element {
	return Hash(TagHolder, secret)
}

// Nullifier is Hash(TagNullifier, secret, scope): stable for one holder and
// one scope, unlinkable across scopes.
func Nullifier(secret, scope fr.Element) fr.Element {
	return Hash(TagNullifier, secret, scope)
}

// ScopeElement maps a nullifier scope name (e.g. "election-2027-municipal")
// to the field element the circuit takes; it is never zero for a non-empty
// name except with negligible probability, and zero means "no scope".
func ScopeElement(name string) fr.Element {
	if name == "" {
		return fr.Element{}
	}
	return HashBytes(TagScope, []byte(name))
}

// ScopeFor maps a nullifier scope requested by a verifier to the field
// element the circuit takes, bound to the verifier's audience:
// HashBytes(TagScope, len(audience) as 8 bytes big-endian ‖ audience ‖ scope).
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
	return HashBytes(TagScope, b)
}

// HashString maps a string attribute value to one field element:
// HashBytes(TagString, UTF-8 bytes).
func HashString(s string) fr.Element {
	return HashBytes(TagString, []byte(s))
}

// HashBytes hashes a byte string: the bytes are split into 31-byte
// big-endian chunks (each below the field modulus), preceded by the byte
// length, and hashed with [Hash] under tag.
func HashBytes(tag uint64, b []byte) fr.Element {
	in := make([]fr.Element, 0, 1+(len(b)+30)/31)
	var n fr.Element
	n.SetUint64(uint64(len(b)))
	in = append(in, n)
	for i := 0; i < len(b); i += 31 {
		end := min(i+31, len(b))
		var e fr.Element
		e.SetBigInt(new(big.Int).SetBytes(b[i:end]))
		in = append(in, e)
	}
	return Hash(tag, in...)
}

// IndexedLeafHash is the hash of an indexed Merkle tree leaf (value, next):
// Hash(TagIndexedLeaf, value, next). Empty leaves are the zero element.
func IndexedLeafHash(value, next fr.Element) fr.Element {
	return Hash(TagIndexedLeaf, value, next)
}

// ErrHashInput is returned by the EdDSA hash adapter when it is written bytes
// that are not a whole number of canonical 32-byte field elements.
var ErrHashInput = errors.New("credential: hash input is not canonical field elements")

// NewEdDSAHash returns the hash.Hash that gnark-crypto's BN254
// twisted-Edwards EdDSA uses to compute its challenge H(R.X, R.Y, A.X, A.Y, M):
// it reads each written 32-byte block as a canonical field element and sums
// to [Hash](TagEdDSA, elements...) as 32 big-endian bytes. The zkp package
// uses the same construction in-circuit. Its Sum returns nil bytes appended
// if a write was invalid; check with the error of Write.
func NewEdDSAHash() hash.Hash { return &eddsaHash{} }

type eddsaHash struct {
	buf []byte
	err error
}

func (h *eddsaHash) Write(p []byte) (int, error) {
	h.buf = append(h.buf, p...)
	if len(h.buf) > 32*16 {
		h.err = fmt.Errorf("%w: too long", ErrHashInput)
		return len(p), h.err
	}
	return len(p), nil
}

func (h *eddsaHash) Sum(b []byte) []byte {
	if h.err != nil || len(h.buf)%32 != 0 {
		// Never returns a valid-looking digest for bad input: an all-ones
		// string is not a canonical field element, so signing or verifying
		// with it fails.
		return append(b, badDigest[:]...)
	}
	in := make([]fr.Element, len(h.buf)/32)
	for i := range in {
		if err := in[i].SetBytesCanonical(h.buf[32*i : 32*i+32]); err != nil {
			return append(b, badDigest[:]...)
		}
	}
	d := Hash(TagEdDSA, in...)
	out := d.Bytes()
	return append(b, out[:]...)
}

var badDigest = [32]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}

func (h *eddsaHash) Reset()         { h.buf = h.buf[:0]; h.err = nil }
func (h *eddsaHash) Size() int      { return 32 }
func (h *eddsaHash) BlockSize() int { return 32 }
