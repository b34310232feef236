import pg from 'pg';

// Columns are `timestamp` holding UTC. node-pg would send a Date in the process's local
// time with an offset, which PostgreSQL drops when casting to `timestamp`: on a machine not
// set to UTC every stored instant would shift. Send Dates as UTC, whatever TZ the host has.
pg.defaults.parseInputDatesAsUTC = true;
