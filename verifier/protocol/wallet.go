package protocol

import (
	"fmt"
	"slices"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	"github.com/zkcred/zkcred/credential"
	"github.com/zkcred/zkcred/credential/status"
	"github.com/zkcred/zkcred/did"
	"github.com/zkcred/zkcred/zkp"
)

// Holding is what a wallet needs to answer a request with one credential.
type Holding struct {
	// Credential is the stored credential (credential.Issuer.Issue).
	Credential *credential.Stored
	// Secret is the holder secret the credential is bound to. It must be
	// kept secret.
	Secret *credential.HolderSecret
	// IssuerKey is the issuer's ZK key named by Credential.ZKKeyID, as
	// did.ResolveZKKey returns it from the issuer's DID document.
	IssuerKey *did.ZKPublicKey
	// Revocation is the issuer's revocation tree, rebuilt from its
	// published snapshot (status.Snapshot.Tree) whose root the wallet has
	// checked against the issuer's current signed root: the verifier
	// checks the proof against that root.
	Revocation *status.Tree
	// NonRevoked, used when Revocation is nil, is the credential's
	// non-revocation witness, computed by a wallet that keeps a
	// status.HolderView instead of the whole tree
	// (status.HolderView.NonRevocationWitness, against the root of a
	// checkpoint it verified): the proof is made against the root the
	// witness leads to, which must be that checkpoint's.
	NonRevoked *status.Witness
}

// Answer proves, with keys, that the holding satisfies req, and returns the
// submission ([NewSubmission]) to post to the verifier
// (POST /requests/{id}/presentations).
// audience is the verifier the wallet knows it is talking to (for a request
// fetched over HTTP, the origin it was fetched from, or what the user
// confirmed): a request whose audience differs is refused with
// [ErrCannotAnswer], so a site that relays another verifier's live request
// cannot obtain a proof that verifier would accept.
// It compiles the request exactly as the verifier does ([Request.Compile]),
// computes the set and non-revocation witnesses and calls zkp.Prove. Errors
// wrap [ErrCannotAnswer], zkp.ErrUnsatisfied (naming the failing
// predicate) or the error of the package that refused an input.
func (h *Holding) Answer(keys *zkp.Keys, req *Request, audience string) ([]byte, error) {
	return h.answer(keys, req, audience, nil)
}

// AnswerBound is [Holding.Answer] for a request that reached the wallet
// through another protocol, which binds the proof to its own hash: the
// proof's public request hash (zkp.Statement.RequestHash) is requestHash
// instead of req.Hash(). For OpenID4VP, requestHash is the handover hash
// (openid4vp.HandoverHash) of the presentation, which covers req.Hash()
// with the OpenID4VP parameters; the verifier checks the proof against the
// same value (verifier.Verifier's OpenID4VP path). Everything else,
// refusals included, is as for Answer.
func (h *Holding) AnswerBound(keys *zkp.Keys, req *Request, audience string, requestHash fr.Element) ([]byte, error) {
	return h.answer(keys, req, audience, &requestHash)
}

// CheckBound reports, without proving, whether [Holding.AnswerBound] with
// the same arguments would prove: it makes every check of AnswerBound and
// zkp.Check (signature, expiry, non-revocation, predicates) for a circuit
// of the given shape. A wallet calls it to choose a credential and to ask
// for consent before any proving work. Errors are AnswerBound's.
func (h *Holding) CheckBound(shape zkp.Shape, req *Request, audience string, requestHash fr.Element) error {
	st, w, err := h.prepare(shape, req, audience, &requestHash)
	if err != nil {
		return err
	}
	return zkp.Check(shape, st, w)
}

func (h *Holding) answer(keys *zkp.Keys, req *Request, audience string, requestHash *fr.Element) ([]byte, error) {
	if keys == nil || keys.VerifyingKey == nil {
		return nil, fmt.Errorf("%w: no keys", ErrCannotAnswer)
	}
	st, w, err := h.prepare(keys.VerifyingKey.Shape(), req, audience, requestHash)
	if err != nil {
		return nil, err
	}
	pres, err := zkp.Prove(keys, st, w)
	if err != nil {
		return nil, err
	}
	return NewSubmission(h.Credential.ZKKeyID, pres)
}

// prepare makes the checks of Answer and returns the statement and
// witness to prove.
func (h *Holding) prepare(shape zkp.Shape, req *Request, audience string, requestHash *fr.Element) (*zkp.Statement, *zkp.Witness, error) {
	c := h.Credential
	switch {
	case req == nil:
		return nil, nil, fmt.Errorf("%w: no request", ErrCannotAnswer)
	case req.Audience != audience:
		return nil, nil, fmt.Errorf("%w: the request is for audience %.200q, not %.200q (a relayed request?)", ErrCannotAnswer, req.Audience, audience)
	case c == nil || h.Secret == nil || h.IssuerKey == nil || (h.Revocation == nil && h.NonRevoked == nil):
		return nil, nil, fmt.Errorf("%w: incomplete holding", ErrCannotAnswer)
	case !slices.Contains(req.Issuers, c.Issuer):
		return nil, nil, fmt.Errorf("%w: issuer %s is not among the request's issuers", ErrCannotAnswer, c.Issuer)
	case c.Schema == nil || c.Schema.Name != req.Schema.Name || c.Schema.Version != req.Schema.Version:
		return nil, nil, fmt.Errorf("%w: the request asks for schema %.80q version %d", ErrCannotAnswer, req.Schema.Name, req.Schema.Version)
	}
	if err := c.CheckHolder(h.Secret); err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrCannotAnswer, err)
	}
	compiled, err := req.Compile(c.Schema, shape)
	if err != nil {
		return nil, nil, err
	}
	if requestHash != nil {
		compiled.RequestHash = *requestHash
	}
	rw, root, err := h.nonRevocation(shape)
	if err != nil {
		return nil, nil, err
	}
	w := &zkp.Witness{
		Credential: zkp.Credential{
			SchemaID: c.Schema.ID(), Slots: c.Slots, RevocationID: c.RevocationID,
			Expiry: c.Expiry, Signature: c.Signature,
		},
		Secret:     h.Secret.Element(),
		Revocation: rw,
		Sets:       make([]*status.Witness, compiled.Shape.Predicates),
	}
	for i, p := range compiled.Predicates {
		if compiled.Sets[i] == nil {
			continue
		}
		if p.Slot < 0 || p.Slot >= len(c.Slots) {
			return nil, nil, fmt.Errorf("%w: predicate slot %d outside the credential", ErrCannotAnswer, p.Slot)
		}
		v := c.Slots[p.Slot]
		if p.Op == zkp.OpInSet {
			w.Sets[i], err = compiled.Sets[i].Membership(v)
		} else {
			w.Sets[i], err = compiled.Sets[i].NonMembership(v)
		}
		if err != nil {
			// The value is (not) in the set when it must not (must) be.
			return nil, nil, fmt.Errorf("%w: predicate %d (%s %s): %w", zkp.ErrUnsatisfied, compiled.Order[i],
				req.Predicates[compiled.Order[i]].Attribute, req.Predicates[compiled.Order[i]].Op, err)
		}
	}
	return compiled.Statement(h.IssuerKey, root), w, nil
}

// RevocationRoot returns the revocation root a proof of h is made
// against: Revocation's root, or the root NonRevoked leads to.
func (h *Holding) RevocationRoot() fr.Element {
	if h.Revocation != nil {
		return h.Revocation.Root()
	}
	if h.NonRevoked != nil {
		return h.NonRevoked.Root()
	}
	return fr.Element{}
}

// nonRevocation returns the credential's non-revocation witness and the
// root it proves against, from Revocation or NonRevoked (checked: a path
// of the circuit's depth showing the credential's id unrevoked).
func (h *Holding) nonRevocation(shape zkp.Shape) (*status.Witness, fr.Element, error) {
	id := h.Credential.RevocationID
	if h.Revocation != nil {
		rw, err := status.NonRevocationWitness(h.Revocation, id)
		if err != nil {
			return nil, fr.Element{}, fmt.Errorf("%w: %w", ErrCannotAnswer, err)
		}
		return rw, h.Revocation.Root(), nil
	}
	rw := h.NonRevoked
	root := rw.Root()
	if err := rw.VerifyNonMembership(root, shape.RevocationDepth, fr.NewElement(id)); err != nil {
		return nil, fr.Element{}, fmt.Errorf("%w: non-revocation witness: %w", ErrCannotAnswer, err)
	}
	return rw, root, nil
}
