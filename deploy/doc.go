// Package deploy holds SIGAP's deployment files: the systemd units
// (sigap.service, sigap@.service, sigap-migrate.service), their environment
// and offices examples, and the Containerfile. It has no code; its tests
// check that the files work as written: the units pass systemd-analyze
// verify, the install steps in sigap.service's header leave a system on
// which the unit's command starts, and the image's user owns its data
// folder.
package deploy
