package domain

import (
	"encoding/json"
	"reflect"
	"testing"
)

// The fast ballot decoder must agree with encoding/json whenever it accepts an input.
func FuzzBallotFastDecoder(f *testing.F) {
	for _, b := range []BallotCast{
		{CycleID: "almaty-2026", DistrictID: "almaly", Voter: "v0123456789abcdef", Choices: []BallotChoice{{ProposalID: "p1"}, {ProposalID: "p2"}}},
		{CycleID: "c", DistrictID: "d", Voter: "v", Choices: []BallotChoice{{ProposalID: "p1", Points: 3}, {ProposalID: "p2", Points: -7}}},
		{CycleID: "c", DistrictID: "d", Voter: "v", Choices: []BallotChoice{}},
		{},
	} {
		data, _ := json.Marshal(b)
		f.Add(data)
	}
	for _, s := range []string{
		`{"voter":"v","cycle_id":"c"}`, `{"choices":[{"points":1,"proposal_id":"x"}]}`, `{"choices":null}`,
		`{"voter":"v","voter":"w"}`, `{"Voter":"v"}`, `{"voter":"a\u00e9"}`, `{"choices":[{"points":01}]}`,
		`{"choices":[{"points":9223372036854775807}]}`, `{"choices":[{"points":-0}]}`, `{"choices":[{"points":1.0}]}`,
		`{ "voter":"v"}`, `{"voter":"v"}x`, `{"voter":"\xff"}`, `{"choices":[{}]}`, `{}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fast, ok := decodeBallotFast(data)
		if !ok {
			return
		}
		slow, err := decodeAs[BallotCast](EventBallotCast, data)
		if err != nil {
			t.Fatalf("fast decoder accepted %q, encoding/json refuses it: %v", data, err)
		}
		if !reflect.DeepEqual(BallotCast(fast), slow) {
			t.Fatalf("%q: fast %#v, encoding/json %#v", data, BallotCast(fast), slow)
		}
	})
}

func TestBallotFastDecoderTakesWhatEncodeWrites(t *testing.T) {
	b := BallotReplaced{CycleID: "almaty-2026", DistrictID: "almaly", Voter: "v1", Choices: []BallotChoice{{ProposalID: "p1", Points: 2}}}
	typ, data, err := Encode(b)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := decodeBallotFast(data); !ok {
		t.Fatalf("fast path refused Encode's own output %s", data)
	}
	got, err := Decode(typ, data)
	if err != nil || !reflect.DeepEqual(got, b) {
		t.Fatalf("got %#v, %v; want %#v", got, err, b)
	}
}
