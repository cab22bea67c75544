package memstore_test

import (
	"testing"

	"github.com/pbledger/pbledger/eventstore"
	"github.com/pbledger/pbledger/eventstore/memstore"
	"github.com/pbledger/pbledger/eventstore/storetest"
)

func TestContract(t *testing.T) {
	storetest.Run(t, storetest.Backend{
		Open:   func(tb testing.TB) eventstore.Store { return memstore.New() },
		Reopen: func(tb testing.TB, s eventstore.Store) eventstore.Store { return memstore.Reopen(s.(*memstore.Store)) },
		Dense:  true,
	})
}
