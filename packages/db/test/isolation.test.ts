import { isolationSuite } from './isolation-suite.js';

// The isolation suite with the application role connecting to Postgres directly.
isolationSuite();
