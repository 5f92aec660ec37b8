package sigap

import "context"

// BatchApplications is a store that can upsert many applications in one
// go: the bulk importer uses it when the store offers it, and
// UpsertApplication row by row otherwise.
type BatchApplications interface {
	// UpsertApplications stores apps as UpsertApplication would, one after
	// the other in their order (a number that appears twice is upserted
	// twice), and returns one outcome per application. A row refused as
	// UpsertApplication refuses it (Validate, CheckOfficeMove) has its
	// outcome's Err set, an ErrInvalid, and the others are stored. The
	// error is the database's: the batch may then be stored in part (as
	// after UpsertApplication failing partway through a file); storing it
	// again is safe.
	UpsertApplications(ctx context.Context, apps []Application, opts ...UpsertOption) ([]UpsertOutcome, error)
}

// UpsertOutcome is what upserting one application of a batch did.
type UpsertOutcome struct {
	Result UpsertResult
	Err    error // the row was refused (an ErrInvalid); Result is Unchanged
}
