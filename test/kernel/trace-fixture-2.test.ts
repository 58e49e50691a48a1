import { traceFixtureSuite } from './_trace-fixture.js';

traceFixtureSuite(1);
