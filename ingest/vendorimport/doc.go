// Package vendorimport turns what survey vendors deliver — a monthly CSV or XLSX file with their
// own, often Chinese, column headers — into survey_response events (SPEC §2.2) on the survey topic.
//
// A YAML mapping (Mapping; testdata/mapping.yaml is the annotated example users copy) names the
// column of each field and each item, and translates the vendor's values (中国移动 → cmcc, branch
// names → branch ids, 满意 → a score). Every row becomes one event or one RowError with its row
// number and reason; every event passes schema's decoder before anything is published.
//
// Event ids are stable, so importing a file twice changes nothing downstream (csat counts each
// event_id once): vendor:<vendor>:<wave>:<interview id> when the file has an id column, else
// file:<first 12 hex digits of sha256(file)>:<row>. Strict refuses a file with any bad row and
// publishes nothing.
//
// Run streams the file (ConvertFile): CSV record by record, XLSX through excelize's row iterator
// (its worksheets beyond 16 MiB unzipped go to temporary files): memory holds the row being read,
// not the file; only the event ids seen (to find duplicates) and the bad rows grow with it. An XLSX archive is read through once first: a member with a bad CRC-32 or a broken
// compressed stream refuses the file, naming the member, rather than importing fewer rows. CSV
// quoting is RFC 4180's, strictly: a quote left open becomes one bad row that names the line
// where it opened and the lines it took, and the rows after it are read again; a quote inside a
// field that does not start with one is a bad row. Values from the file that a row error quotes
// are cut to 64 bytes, with their length.
package vendorimport
