package pabulib_test

import (
	"bytes"
	"errors"
	"os"
	"reflect"
	"testing"

	"github.com/pbledger/pbledger/domain/pabulib"
)

// FuzzParse: Parse never panics, refuses only with a *ParseError naming a line, and whatever it accepts
// writes back to a file that parses to the same instance. Seeds: the real files, cut after their first 40
// votes (whole files, up to 150 KB, make the fuzzer's input minimisation crawl; TestEveryFileImportsAndRoundTrips
// covers them whole), and a few small oddities.
//
// Run it with a short minimisation time, or the fuzzer spends a minute shrinking each new input it finds:
//
//	go test ./domain/pabulib/ -run '^$' -fuzz FuzzParse -fuzztime 5m -fuzzminimizetime 2s
func FuzzParse(f *testing.F) {
	for _, path := range dataFiles(f) {
		raw, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		if i := bytes.Index(raw, []byte("VOTES")); i >= 0 {
			rest := raw[i:]
			for n := 0; n < 42 && len(rest) > 0; n++ { // title, header, 40 votes
				j := bytes.IndexByte(rest, '\n')
				if j < 0 {
					break
				}
				rest = rest[j+1:]
			}
			raw = raw[:len(raw)-len(rest)]
		}
		f.Add(raw)
	}
	for _, s := range []string{
		small,
		"\ufeffMETA\r\nkey;value\r\nbudget;1.0\r\nvote_type;cumulative\r\nPROJECTS\r\nproject_id;cost\r\n\"a;b\";0\r\nVOTES\r\nvoter_id;vote;points\r\nx;a;b;1\r\n",
		"META\nkey;value\nbudget;5\nvote_type;scoring\n\"PROJECTS\";\nPROJECTS\nproject_id;cost;x\np;1;\"multi\nline\"\"\"\nVOTES\nvoter_id;vote;points\nv;p;-2\n",
		"meta\n key ; value \nbudget; 7 \nvote_type;ordinal\nprojects;;\nproject_id;cost\n 1 ;2\nvotes\nvoter_id;vote\nv; 1 ,\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		inst, err := pabulib.Parse(bytes.NewReader(data))
		if err != nil {
			var pe *pabulib.ParseError
			if !errors.As(err, &pe) || pe.Line < 1 || pe.Reason == "" {
				t.Fatalf("error %v is not a *ParseError with a line and a reason", err)
			}
			return
		}
		var b bytes.Buffer
		if err := pabulib.Write(&b, inst); err != nil {
			t.Fatalf("Write refused what Parse accepted: %v", err)
		}
		back, err := pabulib.Parse(bytes.NewReader(b.Bytes()))
		if err != nil {
			t.Fatalf("Parse(Write(inst)): %v\n%q", err, b.String())
		}
		if !reflect.DeepEqual(back, inst) {
			t.Fatalf("round trip differs:\n got %#v\nwant %#v\nwritten %q", back, inst, b.String())
		}
	})
}
