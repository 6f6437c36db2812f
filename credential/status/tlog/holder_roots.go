package tlog

// SubtreeRoots returns the published subtree roots the view holds at its
// checkpoint (status.HolderView.SubtreeRoots), for the wallet to keep
// beside the checkpoint and ids; nil while chunks are missing.
func (h *HolderSync) SubtreeRoots() []byte { return h.view.SubtreeRoots() }

// RestoreSubtreeRoots gives a HolderSync that [NewHolderSync] restored
// from a stored checkpoint and ids the roots [HolderSync.SubtreeRoots]
// returned at that checkpoint: the next [HolderSync.Sync] then fetches
// only the chunks whose subtrees the new entries change, not every chunk.
// Wrong roots cost a download, never a wrong witness (they are checked
// against the checkpoint's root when a witness is computed). Errors wrap
// status.ErrInvalidSubtrees.
func (h *HolderSync) RestoreSubtreeRoots(roots []byte) error {
	return h.view.RestoreSubtreeRoots(roots)
}
