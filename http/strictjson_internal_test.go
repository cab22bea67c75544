package http

import (
	"encoding/json"
	"testing"

	"github.com/pbledger/pbledger/domain"
)

// ballotBody is what a gateway sends for a ballot of three choices.
var ballotBody = []byte(`{"district_id":"almaly","resident_id":"IIN-900101300123","choices":[{"proposal_id":"almaty-2026.almaly.01"},{"proposal_id":"almaty-2026.almaly.02"},{"proposal_id":"almaty-2026.almaly.03"}]}`)

type ballotInput struct {
	DistrictID domain.DistrictID     `json:"district_id"`
	ResidentID string                `json:"resident_id"`
	Choices    []domain.BallotChoice `json:"choices"`
}

// BenchmarkCheckJSONBallot is the cost strict decoding adds to a ballot: one pass of checkJSON.
func BenchmarkCheckJSONBallot(b *testing.B) {
	var in ballotInput
	b.SetBytes(int64(len(ballotBody)))
	b.ReportAllocs()
	for b.Loop() {
		if err := checkJSON(ballotBody, &in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeBallot is the whole decode of a ballot body, checkJSON included.
func BenchmarkDecodeBallot(b *testing.B) {
	b.SetBytes(int64(len(ballotBody)))
	b.ReportAllocs()
	for b.Loop() {
		var in ballotInput
		if err := decode(ballotBody, &in); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzCheckJSON holds checkJSON to two promises: it never panics or loops on any input, and it accepts
// whatever encoding/json itself writes for the type (exact names, no repeated keys, valid UTF-8), so strictness
// never refuses a well-behaved client.
func FuzzCheckJSON(f *testing.F) {
	f.Add(ballotBody)
	f.Add([]byte(`{"district_id":"a","resident_id":"r\ud83d\ude00","choices":[{"proposal_id":"p","points":3}]}`))
	f.Add([]byte(`{"DISTRICT_ID":"a","district_id":"b"}`))
	f.Add([]byte(`{"a":{"b":[[[{"c":"\u00e9\\\""}]]]}}`))
	f.Add([]byte("{\"resident_id\":\"\xff\"}"))
	f.Fuzz(func(t *testing.T, body []byte) {
		var in ballotInput
		_ = checkJSON(body, &in)
		if err := decode(body, &in); err != nil {
			return
		}
		again, err := json.Marshal(in)
		if err != nil {
			t.Fatal(err)
		}
		if err := checkJSON(again, &in); err != nil {
			t.Fatalf("refused encoding/json's own output %s: %v", again, err)
		}
	})
}
