// Loading this module registers every gradient rule.
import './conv.ts';
import './elementwise.ts';
import './indexing.ts';
import './linalg.ts';
import './reduce.ts';
import './views.ts';
