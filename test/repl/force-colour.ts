// Imported first by component tests: chalk decides its colour level when it loads,
// and a test runner's stdout is not a terminal.
process.env['FORCE_COLOR'] = '1';
export {};
