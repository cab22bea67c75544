package filestore_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/google/uuid"

	"github.com/pbledger/pbledger/eventstore"
	"github.com/pbledger/pbledger/eventstore/filestore"
	"github.com/pbledger/pbledger/eventstore/storetest"
)

func TestImportKeepsOrderRevisionsAndTimes(t *testing.T) {
	src := mustOpen(t, t.TempDir(), filestore.Options{})
	defer src.Close()
	ctx := context.Background()
	for i := 0; i < 300; i++ {
		if _, err := src.Append(ctx, fmt.Sprintf("s-%d", i%5), eventstore.Any(), storetest.Event300(i)); err != nil {
			t.Fatal(err)
		}
	}
	all, err := src.ReadAll(ctx, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	dst := mustOpen(t, t.TempDir(), filestore.Options{})
	defer dst.Close()
	if err := dst.Import(ctx, all[:100]); err != nil {
		t.Fatal(err)
	}
	if err := dst.Import(ctx, all[100:]); err != nil { // resumed
		t.Fatal(err)
	}
	got, err := dst.ReadAll(ctx, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, all) { // positions are equal too here: both stores number from 1
		t.Fatalf("the copy differs from the original")
	}
	t.Run("a gap in a stream's revisions is refused", func(t *testing.T) {
		e := all[0]
		e.ID, e.Revision = uuid.New(), 99
		if err := dst.Import(ctx, []eventstore.RecordedEvent{e}); !errors.Is(err, eventstore.ErrWrongExpectedRevision) {
			t.Fatalf("got %v, want ErrWrongExpectedRevision", err)
		}
	})
}
