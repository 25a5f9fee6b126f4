/**
 * The index page: links to the three pages (styles only).
 * @module
 */
import '../ui/styles.css';
