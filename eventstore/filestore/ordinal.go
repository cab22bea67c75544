package filestore

import "github.com/pbledger/pbledger/eventstore"

var _ eventstore.Ordinals = (*Store)(nil)

// Ordinal implements eventstore.Ordinals: the file store numbers events 1, 2, 3, … with no gaps
// (docs/STORAGE.md), so the event at p is the (p-1)-th of the global order.
func (s *Store) Ordinal(p eventstore.Position) (int64, bool) {
	if p == eventstore.Start {
		return 0, false
	}
	return int64(p - 1), true
}
