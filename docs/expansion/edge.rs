// What `#[pclosure(coarse_list)]` generates for the function in docs/EXPANSION.md.
// Checked token by token against the macro by a unit test of spm-macros.

#[doc = r" Counts edge pixels above `level`."]
#[doc = ""]
#[doc = "A `coarse_list` task, made by `#[pclosure]` from `fn edge`: build it with [`Edge::new`]."]
#[must_use = "a task does nothing until a manager evaluates it"]
pub struct Edge {
    input: String,
    level: u32,
    __spm_meta: ::spm::__private::TaskMeta,
}
const _: () = {
    impl Edge {
        #[doc = r" Makes the task from its arguments."]
        #[allow(clippy::too_many_arguments)]
        pub fn new(input: String, level: u32) -> Self {
            Self {
                input,
                level,
                __spm_meta: ::core::default::Default::default(),
            }
        }
        #[doc = r" Names the task in reports, errors and `ctx.label()` (default: `name#index`)."]
        pub fn label(mut self, label: impl ::core::convert::Into<::std::string::String>) -> Self {
            self.__spm_meta
                .set_label(::core::convert::Into::into(label));
            self
        }
        #[doc = r" Gives each attempt of the task a hard deadline; it overrides the manager's"]
        #[doc = r" `timeout_per_task`."]
        pub fn timeout(mut self, timeout: ::core::time::Duration) -> Self {
            self.__spm_meta.set_timeout(timeout);
            self
        }
        #[doc = r" On a process spoke, limits the spoke's address space while it runs this task"]
        #[doc = r" (`RLIMIT_AS`); it overrides the manager's `memory_limit`."]
        pub fn memory_limit(mut self, bytes: u64) -> Self {
            self.__spm_meta.set_memory_limit(bytes);
            self
        }
        #[doc = r" On a process spoke, limits the CPU time this task may use (whole seconds,"]
        #[doc = r" `RLIMIT_CPU`); it overrides the manager's `cpu_time_limit`."]
        pub fn cpu_time_limit(mut self, cpu_time: ::core::time::Duration) -> Self {
            self.__spm_meta.set_cpu_time_limit(cpu_time);
            self
        }
        #[doc = r" A manager of independent tasks (`coarse_list`, `fine_limited`)."]
        pub fn list<__SpmPolicy, __SpmTasks>(tasks: __SpmTasks) -> ::spm::Manager<Self>
        where
            Self: ::spm::Task<Policy = __SpmPolicy>,
            __SpmPolicy: ::spm::capability::ManagedAsList,
            __SpmTasks: ::core::iter::IntoIterator<Item = Self>,
        {
            ::spm::Manager::list(tasks)
        }
        #[doc = r" A manager of alternative tasks, the first success winning (`coarse_race`)."]
        pub fn race<__SpmPolicy, __SpmTasks>(tasks: __SpmTasks) -> ::spm::Manager<Self>
        where
            Self: ::spm::Task<Policy = __SpmPolicy>,
            __SpmPolicy: ::spm::capability::ManagedAsRace,
            __SpmTasks: ::core::iter::IntoIterator<Item = Self>,
        {
            ::spm::Manager::race(tasks)
        }
        #[doc = r" A manager of this one task (`coarse_singleton`)."]
        pub fn singleton<__SpmPolicy>(self) -> ::spm::Manager<Self>
        where
            Self: ::spm::Task<Policy = __SpmPolicy>,
            __SpmPolicy: ::spm::capability::ManagedAsSingleton,
        {
            ::spm::Manager::singleton(self)
        }
        #[doc = r" A manager of a gang of `size` members, co-scheduled, member `rank` being"]
        #[doc = r" `member(rank)` (`fine_general`)."]
        pub fn gang<__SpmPolicy, __SpmMember>(
            size: usize,
            member: __SpmMember,
        ) -> ::spm::Manager<Self>
        where
            Self: ::spm::Task<Policy = __SpmPolicy>,
            __SpmPolicy: ::spm::capability::ManagedAsGang,
            __SpmMember: ::core::ops::FnMut(usize) -> Self,
        {
            ::spm::Manager::gang(size, member)
        }
    }
    impl ::core::clone::Clone for Edge {
        fn clone(&self) -> Self {
            Self {
                input: ::spm::__private::clone_arg::<String>(&self.input),
                level: ::spm::__private::clone_arg::<u32>(&self.level),
                __spm_meta: ::core::clone::Clone::clone(&self.__spm_meta),
            }
        }
    }
    impl ::spm::Task for Edge {
        type Policy = ::spm::CoarseList;
        type Output = u64;
        type Args = (String, u32);
        const NAME: &'static str = "edge";
        const PATH: &'static str = ::core::concat!(
            ::core::module_path!(),
            "::",
            "edge",
            " (",
            ::core::file!(),
            ":",
            ::core::line!(),
            ")"
        );
        fn meta_mut(&mut self) -> &mut ::spm::__private::TaskMeta {
            &mut self.__spm_meta
        }
        #[allow(clippy::unused_unit)]
        fn into_args(self) -> Self::Args {
            let Self { input, level, .. } = self;
            (input, level)
        }
        #[allow(clippy::unused_unit)]
        fn from_args((input, level): Self::Args) -> Self {
            Self::new(input, level)
        }
        #[allow(clippy::needless_borrow)]
        fn args_codec() -> ::core::option::Option<::spm::__private::Codec<Self::Args>> {
            use ::spm::__private::{NotSerde as _, ViaSerde as _};
            (&&::spm::__private::Probe::<Self::Args>::new()).codec()
        }
        #[allow(clippy::needless_borrow)]
        fn output_codec() -> ::core::option::Option<::spm::__private::Codec<Self::Output>> {
            use ::spm::__private::{NotSerde as _, ViaSerde as _};
            (&&::spm::__private::Probe::<Self::Output>::new()).codec()
        }
        fn call(
            self,
            __spm_ctx: &::spm::Ctx<::spm::CoarseList>,
        ) -> ::core::result::Result<Self::Output, ::spm::TaskError> {
            #[allow(clippy::needless_pass_by_value)]
            fn edge(
                ctx: &Ctx<::spm::CoarseList>,
                input: String,
                level: u32,
            ) -> Result<u64, TaskError> {
                Ok(input.len() as u64 * u64::from(level) + ctx.attempt() as u64)
            }
            let Self { input, level, .. } = self;
            let __spm_result = edge(__spm_ctx, input, level);
            ::spm::TaskReturn::into_task_result(__spm_result)
        }
    }
    #[::spm::__private::linkme::distributed_slice(::spm::__private::TASKS)]
    # [linkme (crate = :: spm :: __private :: linkme)]
    static __SPM_TASK: ::spm::__private::TaskEntry = ::spm::__private::TaskEntry::of::<Edge>();
};
