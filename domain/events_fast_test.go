package domain

import (
	"encoding/json"
	"reflect"
	"testing"
	"unsafe"
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
	// Seeds like the events of the Pabulib library's import: long cycle IDs, proposal IDs with a colon, points.
	for _, s := range []string{
		`{"cycle_id":"Poland_Gdansk_2020","district_id":"gdansk","voter":"22972","choices":[{"proposal_id":"Poland_Gdansk_2020:1"}]}`,
		`{"cycle_id":"Switzerland_Zurich_S5","district_id":"zurich","voter":"v-17","choices":[{"proposal_id":"Switzerland_Zurich_S5:3","points":2},{"proposal_id":"Switzerland_Zurich_S5:12","points":3}]}`,
		`{"cycle_id":"Poland_Kraków","district_id":"kraków","voter":"1","choices":[{"proposal_id":"Łódź:1"}]}`,
		`{"cycle_id":"c","district_id":"d","voter":"1","choices":[{"proposal_id":"p","points":-9223372036854775808}]}`,
	} {
		f.Add([]byte(s))
	}
	// One Decoder across the inputs, as a rebuild uses it: what it remembers must never change a result.
	var dec Decoder
	f.Fuzz(func(t *testing.T, data []byte) {
		slow, slowErr := decodeAs[BallotCast](EventBallotCast, data)
		fast, ok := decodeBallotFast(data)
		if ok {
			if slowErr != nil {
				t.Fatalf("fast decoder accepted %q, encoding/json refuses it: %v", data, slowErr)
			}
			if !reflect.DeepEqual(fast, slow) {
				t.Fatalf("%q: fast %#v, encoding/json %#v", data, fast, slow)
			}
		}
		for _, typ := range []string{EventBallotCast, EventBallotReplaced} {
			want, wantErr := Decode(typ, data)
			got, err := dec.Decode(typ, data)
			if (err == nil) != (wantErr == nil) || !reflect.DeepEqual(got, want) {
				t.Fatalf("%s %q: Decoder.Decode %#v, %v; Decode %#v, %v", typ, data, got, err, want, wantErr)
			}
			b, err := dec.DecodeBallot(typ, data)
			if (err == nil) != (wantErr == nil) {
				t.Fatalf("%s %q: DecodeBallot error %v, Decode %v", typ, data, err, wantErr)
			}
			if err == nil {
				var asEvent Event = b
				if typ == EventBallotReplaced {
					asEvent = BallotReplaced(b)
				}
				if !reflect.DeepEqual(asEvent, want) {
					t.Fatalf("%s %q: DecodeBallot %#v, Decode %#v", typ, data, asEvent, want)
				}
			}
		}
	})
}

// A Decoder decodes every event type as Decode does, and shares the names it has seen.
func TestDecoderMatchesDecode(t *testing.T) {
	var dec Decoder
	events := []Event{
		BallotCast{CycleID: "c", DistrictID: "d", Voter: "v1", Choices: []BallotChoice{{ProposalID: "c:1"}, {ProposalID: "c:2"}}},
		BallotReplaced{CycleID: "c", DistrictID: "d", Voter: "v1", Choices: []BallotChoice{{ProposalID: "c:2", Points: 4}}},
		BallotCast{CycleID: "c", DistrictID: "d", Voter: "v2", Choices: []BallotChoice{}},
		ProposalPublished{ProposalID: "c:1", Moderator: "m"},
		PhaseAdvanced{CycleID: "c", From: PhaseVoting, To: PhaseAllocation},
	}
	var first, second BallotCast
	for i, e := range events {
		typ, data, err := Encode(e)
		if err != nil {
			t.Fatal(err)
		}
		got, err := dec.Decode(typ, data)
		want, wantErr := Decode(typ, data)
		if err != nil || wantErr != nil || !reflect.DeepEqual(got, want) || !reflect.DeepEqual(got, e) {
			t.Fatalf("%s: Decoder %#v, %v; Decode %#v, %v; encoded %#v", typ, got, err, want, wantErr, e)
		}
		switch i {
		case 0:
			first = got.(BallotCast)
		case 2:
			second = got.(BallotCast)
		}
	}
	if unsafe.StringData(string(first.CycleID)) != unsafe.StringData(string(second.CycleID)) {
		t.Error("the Decoder did not share the cycle's name between two ballots")
	}
	if _, err := dec.DecodeBallot(EventProposalPublished, []byte(`{}`)); err == nil {
		t.Error("DecodeBallot took a ProposalPublished")
	}
	if _, err := dec.DecodeBallot(EventBallotCast, []byte(`{"voter":1}`)); err == nil {
		t.Error("DecodeBallot took a voter that is a number")
	}
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
