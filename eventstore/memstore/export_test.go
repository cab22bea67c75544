package memstore

import "time"

// Reopen closes s and returns a new store over the same events, as reopening a durable store would.
func Reopen(s *Store) *Store {
	s.Close()
	return &Store{d: s.d, closed: make(chan struct{}), now: time.Now}
}
