package ledger

// OneVoter exposes oneVoter to the external tests.
var OneVoter = oneVoter

// OneVoterIndexed exposes oneVoterIndexed to the external tests.
var OneVoterIndexed = oneVoterIndexed
