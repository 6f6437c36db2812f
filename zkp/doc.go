// Package zkp holds zkcred's gnark circuits: one generic presentation circuit
// per [Shape], key setup for Groth16 and PLONK on BN254, proving, verifying
// and the presentation wire format (FORMAT.md, version 1).
//
// A holder proves, for a credential it holds, without revealing its
// attributes, signature or id: the issuer (public key a public input)
// signed the attribute slots under the schema (EdDSA on BN254's
// twisted-Edwards curve over zkhash.Message); it knows the holder
// secret the credential commits to; each public predicate holds (=, ≠, <,
// ≤, >, ≥, between, in set, not in set); the credential is not expired at
// the verifier's date and its id is not in the issuer's revocation tree;
// optionally some slots are disclosed and a per-scope nullifier is output;
// and the proof is bound to the request hash.
//
// The common path:
//
//	keys, _ := zkp.UnsafeSetup(zkp.DefaultShape(), zkp.Groth16) // dev only
//	pres, err := zkp.Prove(keys, &statement, &witness)        // ErrUnsatisfied names what fails
//	b, _ := pres.Encode()
//	p, err := zkp.DecodePresentationFor(keys.VerifyingKey, b) // refuses other keys before decoding the proof
//	err = zkp.Verify(keys.VerifyingKey, &statement, p)        // statement built by the verifier
//
// # Soundness notes
//
// Every comparison is on 64-bit values: operands are range-checked to 64
// bits, and so are v−lo and hi−v, which makes the slot value itself 64-bit
// with no wrap-around. A no-op predicate (op 0) must have slot and operands
// zero; since the verifier computes the public inputs, a prover cannot turn
// a requested predicate into a no-op. Every public input enters a
// constraint; TestGroth16PublicInputsBound changes each one on a valid proof.
// Issuer keys must be in the prime-order subgroup ([did.NewZKPublicKey]); Verify
// refuses others. A set member m is stored as m+1 and every set tree holds
// the sentinel leaf 0, so the in-set operator also asserts v+1 ≠ 0 (a slot
// value r−1 is in no set). Setup named Unsafe is for development only: use
// [Ceremony] (Groth16) or [SetupPLONK] with a ceremony SRS in production.
// Both can start from a public powers-of-tau file ([ReadPtau]): PLONK keys
// from [Ptau.SRS], and a Groth16 phase 2 from [Ceremony.Phase1FromPtau].
//
// # Untrusted bytes
//
// No byte from outside reaches a gnark or gnark-crypto decoder before
// zkcred has parsed its exact layout: gnark's decoders read each point
// compressed or not as its flag bits say (one flag moves every later
// header) and allocate what the headers say. Proofs and verifying keys are
// parsed field by field and gnark's structs built from the decoded points;
// SRS files, proving keys and ceremony contributions are walked (every
// point flag, every header bounded by the shape) before gnark decodes
// them; constraint systems are recompiled, never decoded. Derived values
// stored in files (KZG pairing lines, PLONK domain constants) are
// recomputed and compared. JSON is decoded by [strictjson.Unmarshal].
//
// # Keys in a wallet
//
// [LoadKeys] reads a key directory; [ReadKeys] reads the same keys as one
// stream (a bundle written by [Keys.WriteTo], fetched over HTTP), with the
// same checks. Checking every point takes seconds in WebAssembly, so a
// browser wallet checks a bundle once and keeps [Keys.MarshalCache]; later
// starts load it with [DangerousParseKeyCache], which checks the cache's
// SHA-256 and skips the point checks (FORMAT.md, "Key cache", says when
// that is sound).
//
// A Go program in WebAssembly has one thread. [ProveSplit] (or [Prove] with
// keys from [Keys.WithSplit]) makes a Groth16 proof on two: a [SplitHelper]
// on another thread (a second Web Worker) computes three of the prover's
// multi-scalar multiplications from the witness's wire values, about half
// of the work, and never holds the proof's randomness; the proof is
// verified before it is released, and a failed helper costs time, never
// the proof (FORMAT.md, "Split proving").
//
// # Costs
//
// Reference shape (8 slots, 2 predicates, revocation depth 32): 13,969
// R1CS constraints (Groth16, 2^14 domain), 26,992 PLONK gates (2^15).
// Default shape: 25,925 R1CS constraints. The EdDSA verification (about
// 4,900 constraints with fixed-base windows for [S]B, in
// zkp/internal/circuit; gnark's std eddsa.Verify would cost 6,650) and the revocation path (186 per level)
// dominate. TestConstraintCounts guards the domain budgets.
package zkp
