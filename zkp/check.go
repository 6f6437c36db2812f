package zkp

import "fmt"

// Check runs natively the checks [Prove] makes before any proving work:
// that w satisfies st for the shape s (signature, holder binding, expiry,
// non-revocation, predicates). It returns nil or an error wrapping
// [ErrUnsatisfied] (naming what fails), [ErrInvalidStatement] or
// [ErrInvalidWitness]. A wallet uses it to choose, among its credentials,
// one that can answer a request, and to ask the holder's consent before it
// spends the time of proving.
func Check(s Shape, st *Statement, w *Witness) error {
	if err := s.Validate(); err != nil {
		return err
	}
	if st == nil {
		return fmt.Errorf("%w: nil statement", ErrInvalidStatement)
	}
	if w == nil {
		return fmt.Errorf("%w: nil witness", ErrInvalidWitness)
	}
	if err := st.check(s); err != nil {
		return err
	}
	_, err := check(s, st, w)
	return err
}
