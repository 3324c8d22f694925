/*
 * banned.h — functions that must not be used in suqiu (git's banned.h).
 *
 * Include this header LAST in every .c file of cmd/ and internal/.  A call
 * to one of these names then fails to compile: unbounded copies, formatting
 * into fixed buffers, non-reentrant time and tokenizing functions.
 * Use sq_buf (buf.h), snprintf, strtol/strtoll, gmtime_r/localtime_r.
 */
#ifndef SUQIU_BANNED_H
#define SUQIU_BANNED_H

#define BANNED(func) sorry_##func##_is_a_banned_function

#undef strcpy
#define strcpy(x, y) BANNED(strcpy)
#undef strcat
#define strcat(x, y) BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n) BANNED(strncpy)
#undef sprintf
#define sprintf(...) BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) BANNED(vsprintf)
#undef gets
#define gets(x) BANNED(gets)
#undef strtok
#define strtok(x, y) BANNED(strtok)
#undef atoi
#define atoi(x) BANNED(atoi)
#undef gmtime
#define gmtime(t) BANNED(gmtime)
#undef localtime
#define localtime(t) BANNED(localtime)
#undef ctime
#define ctime(t) BANNED(ctime)
#undef asctime
#define asctime(t) BANNED(asctime)

#endif
